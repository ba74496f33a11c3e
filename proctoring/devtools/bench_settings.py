"""The settings of the HTTP bench's server: the service's, with the floors' URLs mounted
(``bench_urls``). Only ``scripts/bench_wrk.py`` uses them; a deployment never does."""

from proctoring.settings import *  # noqa: F403

ROOT_URLCONF = "proctoring.devtools.bench_urls"
