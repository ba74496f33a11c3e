from django.apps import AppConfig


class LtiConfig(AppConfig):
    """LTI 1.3 Proctoring Services, the platform's side: the platform's keys, the registered
    tools, the launches and their state, service tokens and assessment control, and the
    ``lti`` provider that sends a proctored attempt's learner to its tool (docs/lti.md)."""

    name = "proctoring.lti"
    label = "lti"
    default_auto_field = "django.db.models.BigAutoField"
