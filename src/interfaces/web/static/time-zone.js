// The browser's time zone, for the times the pages show (docs/pages.md, "Devices and
// times"): kept in a cookie the server reads when the account has no time zone of its own.
(function () {
  "use strict";
  var zone = "";
  try {
    zone = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  } catch (error) {
    return;
  }
  if (!zone || !/^[A-Za-z0-9_+\/-]{1,64}$/.test(zone)) {
    return;
  }
  var cookie = "firegate_tz=" + zone;
  if (document.cookie.split("; ").indexOf(cookie) === -1) {
    var secure = window.location.protocol === "https:" ? "; secure" : "";
    document.cookie = cookie + "; path=/; max-age=31536000; samesite=lax" + secure;
  }
}());
