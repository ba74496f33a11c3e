"""The web UI's forms: they check the shape of the input; the domain's services check the
rules (a form never decides what an exam, attempt or allowance may be)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from proctoring.allowances.models import Allowance
from proctoring.attempts.statuses import AttemptStatus
from proctoring.attempts.time_changes import MAX_ADDED_MINUTES
from proctoring.reviews.models import FAILING_OUTCOMES
from proctoring.reviews.policies import MAX_TEXT_LENGTH as MAX_POLICY_TEXT_LENGTH
from proctoring.reviews.rules import STAFF_VERDICTS

REASON_MAX_LENGTH = 500
CSV_MAX_BYTES = 1_048_576


class ExamForm(forms.Form):
    exam_name = forms.CharField(label=_("Name"), max_length=255)
    content_id = forms.CharField(
        label=_("Content id"),
        max_length=255,
        help_text=_("The platform's id of the exam's content; it cannot change later."),
    )
    time_limit_mins = forms.IntegerField(
        label=_("Time limit (minutes)"), min_value=1, max_value=100_000, required=False
    )
    due_date = forms.DateTimeField(
        label=_("Due date (UTC)"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
    )
    is_proctored = forms.BooleanField(label=_("Proctored"), required=False, initial=True)
    is_practice_exam = forms.BooleanField(label=_("Practice exam"), required=False)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)
    hide_after_due = forms.BooleanField(label=_("Hide after the due date"), required=False)
    backend = forms.CharField(
        label=_("Provider"),
        max_length=100,
        required=False,
        help_text=_("Blank: the course's provider."),
    )

    review_policy_text = forms.CharField(
        label=_("Review policy"),
        required=False,
        max_length=MAX_POLICY_TEXT_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("The rules the provider's reviewers apply (sent to the provider)."),
    )
    on_violation = forms.ChoiceField(
        label=_("A review that finds a violation makes the attempt"),
        choices=FAILING_OUTCOMES,
        initial=AttemptStatus.REJECTED.value,
        required=False,
    )
    on_suspicious = forms.ChoiceField(
        label=_("A review that finds it suspicious makes the attempt"),
        choices=FAILING_OUTCOMES,
        initial=AttemptStatus.REJECTED.value,
        required=False,
    )

    POLICY_FIELDS = ("review_policy_text", "on_violation", "on_suspicious")

    def __init__(self, *args: Any, editing: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if editing:
            self.fields["content_id"].disabled = True

    def split(self) -> tuple[dict[str, Any], dict[str, Any]]:
        """The exam's values, and its review policy's (as ``review_policy_set`` takes them)."""
        data = dict(self.cleaned_data)
        policy = {name: data.pop(name) for name in self.POLICY_FIELDS}
        policy["text"] = policy.pop("review_policy_text")
        for name in ("on_violation", "on_suspicious"):  # not sent: the reference's default
            policy[name] = policy[name] or AttemptStatus.REJECTED.value
        return data, policy


class AddTimeForm(forms.Form):
    minutes = forms.IntegerField(label=_("Minutes"), min_value=1, max_value=MAX_ADDED_MINUTES)
    reason = forms.CharField(label=_("Reason"), max_length=REASON_MAX_LENGTH, required=False)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=REASON_MAX_LENGTH, required=False)


class ReviewForm(forms.Form):
    verdict = forms.ChoiceField(
        label=_("Verdict"),
        choices=[(str(v), str(v).replace("_", " ")) for v in sorted(STAFF_VERDICTS)],
    )
    reason = forms.CharField(label=_("Reason"), max_length=REASON_MAX_LENGTH, required=False)


class AllowanceForm(forms.Form):
    username = forms.CharField(label=_("Learner (username)"), max_length=150)
    exam = forms.TypedChoiceField(label=_("Exam"), coerce=int)
    key = forms.ChoiceField(label=_("Allowance"), choices=Allowance.Key.choices)
    value = forms.CharField(label=_("Value"), max_length=255)

    def __init__(self, *args: Any, exams: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["exam"].choices = exams  # type: ignore[attr-defined]


class AllowanceRevokeForm(forms.Form):
    exam = forms.IntegerField(min_value=1)
    user_id = forms.IntegerField(min_value=1)
    key = forms.ChoiceField(choices=Allowance.Key.choices)


class AllowanceCsvForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_("Columns: username, exam (its id or content id), key, value."),
    )

    def clean_file(self) -> str:
        upload = self.cleaned_data["file"]
        if upload.size > CSV_MAX_BYTES:
            raise forms.ValidationError(_("The file is larger than 1 MB."))
        try:
            text: str = upload.read().decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise forms.ValidationError(_("The file is not UTF-8 text.")) from exc
        return text


class IdListField(forms.Field):
    """Several ids under one name (checkboxes): a list of at most ``max_count`` integers."""

    widget = forms.MultipleHiddenInput

    def __init__(self, *, max_count: int, **kwargs: Any) -> None:
        self.max_count = max_count
        super().__init__(**kwargs)

    def to_python(self, value: Any) -> list[int]:
        values = list(value or [])
        if len(values) > self.max_count:
            raise forms.ValidationError(_("Select at most %(max)s.") % {"max": self.max_count})
        try:
            return [int(item) for item in values]
        except (TypeError, ValueError):
            raise forms.ValidationError(_("An id is a number.")) from None


class BulkAttemptsForm(forms.Form):
    """Course staff act on the attempts they selected: add time to them, or end them now."""

    ACTIONS = (("add_time", _("Add time")), ("end", _("End now")))
    MAX_SELECTED = 100

    action = forms.ChoiceField(label=_("Action"), choices=ACTIONS)
    attempt = IdListField(label=_("Attempts"), max_count=MAX_SELECTED)
    minutes = forms.IntegerField(
        label=_("Minutes"), min_value=1, max_value=MAX_ADDED_MINUTES, required=False
    )
    reason = forms.CharField(label=_("Reason"), max_length=REASON_MAX_LENGTH, required=False)

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("action") == "add_time" and not data.get("minutes"):
            self.add_error("minutes", _("Say how many minutes to add."))
        return data
