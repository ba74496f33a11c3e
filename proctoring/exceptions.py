"""The exceptions of the proctoring API, with the reference's names.

Each carries a stable ``code`` and the HTTP status the REST layer answers with.
"""

from __future__ import annotations


class ProctoringError(Exception):
    """Base class of every error the proctoring API raises on purpose."""

    http_status = 400
    code = "proctoring_error"
    default_message = "The request could not be processed."

    def __init__(self, message: str | None = None) -> None:
        self.message = message or self.default_message
        super().__init__(self.message)


class ProctoredExamAlreadyExists(ProctoringError):
    http_status = 409
    code = "exam_already_exists"
    default_message = "An exam with this course_id and content_id already exists."


class ProctoredExamNotFoundException(ProctoringError):
    http_status = 404
    code = "exam_not_found"
    default_message = "The exam does not exist."


class StudentExamAttemptAlreadyExistsException(ProctoringError):
    http_status = 409
    code = "attempt_already_exists"
    default_message = "The learner already has an attempt on this exam."


class StudentExamAttemptDoesNotExistsException(ProctoringError):
    http_status = 404
    code = "attempt_not_found"
    default_message = "Error. Trying to look up an exam attempt that does not exist."


class ProctoredExamIllegalStatusTransition(ProctoringError):
    http_status = 409
    code = "illegal_status_transition"
    default_message = "This status transition is not allowed."


class InvalidAttemptStatus(ProctoringError):
    http_status = 400
    code = "invalid_status"
    default_message = "Unknown attempt status."


class UserNotFoundException(ProctoringError):
    http_status = 404
    code = "user_not_found"
    default_message = "The user does not exist."


class InvalidExamData(ProctoringError):
    http_status = 400
    code = "invalid_exam"
    default_message = "The exam data is not valid."


class CourseNotFound(ProctoringError):
    http_status = 404
    code = "course_not_found"
    default_message = "The course does not exist."


class ExamNotActive(ProctoringError):
    http_status = 409
    code = "exam_not_active"
    default_message = "The exam is not active."


class AttemptActionNotAllowed(ProctoringError):
    http_status = 409
    code = "action_not_allowed"
    default_message = "This action is not allowed on the attempt in its current status."


class AttemptNotOwned(ProctoringError):
    http_status = 403
    code = "not_attempt_owner"
    default_message = "Only the learner who owns this attempt can do this."


class AttemptArchived(ProctoringError):
    http_status = 409
    code = "attempt_archived"
    default_message = "The attempt was reset and is archived; it cannot change any more."


class InvalidAllowance(ProctoringError):
    http_status = 400
    code = "invalid_allowance"
    default_message = "The allowance is not valid."


class AllowanceNotFound(ProctoringError):
    http_status = 404
    code = "allowance_not_found"
    default_message = "The allowance does not exist."


class CourseRoleNotFound(ProctoringError):
    http_status = 404
    code = "role_not_found"
    default_message = "The user has no role in this course."


class AttemptClockError(ProctoringError):
    """A change to an attempt's clock that its state does not allow."""

    http_status = 409
    code = "attempt_clock_conflict"
    default_message = "The attempt's clock cannot change this way now."


class AttemptDeadlinePassed(ProctoringError):
    http_status = 409
    code = "deadline_passed"
    default_message = "The time for this exam has run out; the attempt was timed out."


class InvalidWebhookTarget(ProctoringError):
    http_status = 400
    code = "invalid_webhook_target"
    default_message = "The webhook URL cannot be used."


class SubscriptionNotFound(ProctoringError):
    http_status = 404
    code = "subscription_not_found"
    default_message = "There is no such webhook subscription."


class ExamPastDue(ProctoringError):
    http_status = 409
    code = "exam_past_due"
    default_message = "The exam's due date has passed; it can no longer be started."


class NotEnrolled(ProctoringError):
    http_status = 403
    code = "not_enrolled"
    default_message = (
        "Only the course's learners (and staff) take its exams: you have no role in it."
    )


class SelfReview(ProctoringError):
    http_status = 403
    code = "self_review"
    default_message = "Nobody reviews their own attempt: another staff member must."


class SelfAllowance(ProctoringError):
    http_status = 403
    code = "self_allowance"
    default_message = "Nobody grants or revokes their own allowances: another staff member must."


class InvalidCourseId(ProctoringError):
    http_status = 400
    code = "invalid_course_id"
    default_message = (
        "A course id is 1 to 255 characters of letters, digits and . _ : + ~ @ -, in one "
        "segment (course-v1:Org+Number+Run) or three separated by slashes (Org/Number/Run)."
    )


class ProviderError(ProctoringError):
    """The proctoring provider answered, but with an error or an answer we cannot use."""

    http_status = 502
    code = "provider_error"
    default_message = "The proctoring provider answered with an error; try again later."


class ProviderUnavailable(ProctoringError):
    """The proctoring provider could not be reached, or did not answer in time."""

    http_status = 503
    code = "provider_unavailable"
    default_message = "The proctoring provider cannot be reached; try again in a few minutes."


class ProviderNotFound(ProctoringError):
    http_status = 404
    code = "provider_not_found"
    default_message = "There is no proctoring provider with this name."


class CallbackReplayed(ProctoringError):
    http_status = 409
    code = "callback_replayed"
    default_message = "This message was already received; it is not processed twice."


class InvalidCallback(ProctoringError):
    http_status = 400
    code = "invalid_callback"
    default_message = "The callback's body is not valid."


class CallbackUnauthenticated(ProctoringError):
    """A provider's callback whose signature, or timestamp, does not hold."""

    http_status = 401
    code = "invalid_signature"
    default_message = "The callback's signature is not valid."

    def __init__(self, message: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        if code:
            self.code = code


class ReviewReasonRequired(ProctoringError):
    http_status = 400
    code = "review_reason_required"
    default_message = "Overriding a review's verdict needs a reason."


class ReviewProviderMismatch(ProctoringError):
    http_status = 403
    code = "review_provider_mismatch"
    default_message = "This attempt is proctored by another provider: its callbacks are not yours."


class ReasonRequired(ProctoringError):
    http_status = 400
    code = "reason_required"
    default_message = "This change needs a reason, kept in the attempt's history."


# Access rules (proctoring/access): each refusal at an exam's gates has its own code and a
# message meant for the learner.


class InvalidAccessRules(ProctoringError):
    http_status = 400
    code = "invalid_access_rules"
    default_message = "The exam's access rules are not valid."


class InvalidWindow(ProctoringError):
    # A 409: the ends conflict with each other or with the exam's own (its schema cannot say).
    http_status = 409
    code = "invalid_window"
    default_message = "An exam window must open before it closes."


class ExamListedTwice(ProctoringError):
    http_status = 409
    code = "exam_listed_twice"
    default_message = "Each content_id is listed once in a course's registration."


class WindowOverlap(ProctoringError):
    http_status = 409
    code = "window_overlap"
    default_message = "A learner would have two group windows on the same exam."


class ExamNotOpen(ProctoringError):
    http_status = 409
    code = "exam_not_open"
    default_message = "This exam is not open yet."


class ExamNotReleased(ProctoringError):
    http_status = 409
    code = "exam_not_released"
    default_message = "Please wait: your proctor has not released this exam yet."


class AccessCodeRequired(ProctoringError):
    http_status = 403
    code = "access_code_required"
    default_message = "This exam needs an access code: ask your proctor for it."


class AccessCodeInvalid(ProctoringError):
    http_status = 403
    code = "access_code_invalid"
    default_message = "This access code is not the exam's. Check it and try again."


class AccessCodeRateLimited(ProctoringError):
    http_status = 429
    code = "access_code_rate_limited"
    default_message = "Too many wrong access codes: wait a few minutes before trying again."


class IpNotAllowed(ProctoringError):
    http_status = 403
    code = "ip_not_allowed"
    default_message = "This exam can only be taken from the exam room's network."


class SafeExamBrowserRequired(ProctoringError):
    http_status = 403
    code = "seb_required"
    default_message = (
        "This exam must be taken in Safe Exam Browser with the exam's configuration: "
        "download it from the exam page and open the exam with it."
    )


class AttemptLimitReached(ProctoringError):
    http_status = 409
    code = "attempt_limit_reached"
    default_message = "You have used every attempt this exam allows."


class SessionLocked(ProctoringError):
    http_status = 409
    code = "session_locked"
    default_message = (
        "This attempt is open in another browser. Continue there, or ask your proctor to "
        "unlock it for this device."
    )
