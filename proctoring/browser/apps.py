from django.apps import AppConfig


class BrowserConfig(AppConfig):
    """Built-in browser proctoring (docs/browser-proctoring.md): the ``browser`` provider, the
    learner's consent, the events and snapshots of the exam page, their flags and retention."""

    name = "proctoring.browser"
    label = "browser"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from proctoring.accounts.retirement import retirement_listener_add
        from proctoring.browser.retention import browser_data_forget_user

        retirement_listener_add(browser_data_forget_user)
