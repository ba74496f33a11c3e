"""The service's routes plus fake vendor workers (scripts a provider's worker URL names),
for the browser tests of the worker protocol."""

from django.http import HttpRequest, HttpResponse
from django.urls import include, path

# Answers every message of the protocol: started, ended, and each ping's echo.
ECHO = """
self.addEventListener("message", function (event) {
  var answers = {startExamAttempt: "examAttemptStarted", endExamAttempt: "examAttemptEnded",
                 ping: "echo"};
  var answer = answers[event.data && event.data.type];
  if (answer) { self.postMessage({type: answer}); }
});
"""
# Starts, then never answers a ping (the proctoring software stopped).
SILENT = """
self.addEventListener("message", function (event) {
  if (event.data && event.data.type === "startExamAttempt") {
    self.postMessage({type: "examAttemptStarted"});
  }
});
"""


def _script(source: str):
    def view(request: HttpRequest) -> HttpResponse:
        return HttpResponse(source, content_type="text/javascript")

    return view


urlpatterns = [
    path("vendor/echo-worker.js", _script(ECHO)),
    path("vendor/silent-worker.js", _script(SILENT)),
    path("", include("proctoring.urls")),
]
