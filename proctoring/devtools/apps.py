from django.apps import AppConfig


class DevtoolsConfig(AppConfig):
    """Tools for developers and operators on top of everything: the benchmarks, the demo data
    and the generated lifecycle page. Nothing in the service imports this app."""

    name = "proctoring.devtools"
    label = "devtools"
