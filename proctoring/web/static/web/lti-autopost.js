// Posts the LTI id_token form to the tool as soon as the page loads (a file of this service:
// the pages' policy runs no inline script); without JavaScript the learner presses Continue.
(function () {
  "use strict";
  var form = document.querySelector("form[data-autopost]");
  if (form) {
    form.submit();
  }
})();
