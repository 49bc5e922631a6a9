// The console's only script: served by the service itself (no CDN). Pages work without it.
// An error message takes the keyboard focus so a screen reader announces it and Tab continues from it.
(function () {
  var alert = document.querySelector(".error[role=alert]");
  if (alert) { alert.setAttribute("tabindex", "-1"); alert.focus(); }
})();
