"""The names of LTI 1.3 and LTI Proctoring Services (1EdTech LTI-AP 1.0) the platform uses:
claims, message types, scopes and media types."""

from __future__ import annotations

VERSION = "1.3.0"
LTI = "https://purl.imsglobal.org/spec/lti/claim/"
AP = "https://purl.imsglobal.org/spec/lti-ap/claim/"

MESSAGE_TYPE = LTI + "message_type"
CLAIM_VERSION = LTI + "version"
DEPLOYMENT_ID = LTI + "deployment_id"
TARGET_LINK_URI = LTI + "target_link_uri"
RESOURCE_LINK = LTI + "resource_link"
ROLES = LTI + "roles"
CONTEXT = LTI + "context"
TOOL_PLATFORM = LTI + "tool_platform"
ERRORS = LTI + "errors"

ATTEMPT_NUMBER = AP + "attempt_number"
START_ASSESSMENT_URL = AP + "start_assessment_url"
SESSION_DATA = AP + "session_data"
ACS = AP + "acs"
END_ASSESSMENT_RETURN = AP + "end_assessment_return"

START_PROCTORING = "LtiStartProctoring"
START_ASSESSMENT = "LtiStartAssessment"
END_ASSESSMENT = "LtiEndAssessment"

ROLE_LEARNER = "http://purl.imsglobal.org/vocab/lis/v2/membership#Learner"
CONTEXT_COURSE = "http://purl.imsglobal.org/vocab/lis/v2/course#CourseOffering"

SCOPE_ACS = "https://purl.imsglobal.org/spec/lti-ap/scope/control.all"
ACS_MEDIA_TYPE = "application/vnd.ims.lti-ap.v1.control+json"
ACS_ACTIONS = ("pause", "resume", "update", "flag", "terminate")

PLATFORM_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-platform-configuration"
TOOL_CONFIGURATION = "https://purl.imsglobal.org/spec/lti-tool-configuration"
CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
