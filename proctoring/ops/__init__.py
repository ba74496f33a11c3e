"""Operations: structured logs, health checks, metrics, the production server, personal data.

An integration app: it may import the domain apps and the ground; the domain never imports it.
"""
