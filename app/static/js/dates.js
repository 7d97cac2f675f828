// Dates in the reader's own time zone and language. The server writes every
// time as <time datetime="ISO 8601 UTC">, its text an absolute UTC date in the
// page's language (app/i18n/dates.py), right without JavaScript. Here, with
// the browser's Intl: a time within RECENT_DAYS reads "3 minutes ago" ("hace
// 3 minutos"), refreshed each minute; an older one, the date and time in the
// reader's time zone. The full date stays in the title either way.
(function () {
  "use strict";
  if (!window.Intl || !Intl.DateTimeFormat || !Intl.RelativeTimeFormat) {
    return;  // the server's text stands
  }
  var RECENT_DAYS = 7;
  var language = document.documentElement.lang || "en";
  var absolute = new Intl.DateTimeFormat(language, {dateStyle: "medium", timeStyle: "short"});
  var relative = new Intl.RelativeTimeFormat(language, {numeric: "auto"});
  var UNITS = [
    ["year", 365 * 24 * 3600], ["month", 30 * 24 * 3600], ["week", 7 * 24 * 3600],
    ["day", 24 * 3600], ["hour", 3600], ["minute", 60], ["second", 1]
  ];

  function ago(seconds) {
    var size = Math.abs(seconds);
    for (var i = 0; i < UNITS.length; i++) {
      if (size >= UNITS[i][1] || UNITS[i][0] === "second") {
        var count = Math.round(seconds / UNITS[i][1]);
        if (UNITS[i][0] === "second" && size < 45) {
          return relative.format(0, "second");  // "now"
        }
        return relative.format(count, UNITS[i][0]);
      }
    }
    return "";
  }

  function show(element, now) {
    var moment = new Date(element.getAttribute("datetime"));
    if (isNaN(moment.getTime())) {
      return;
    }
    var full = absolute.format(moment);
    var seconds = (moment.getTime() - now) / 1000;
    var recent = Math.abs(seconds) < RECENT_DAYS * 24 * 3600;
    element.textContent = recent ? ago(seconds) : full;
    element.title = full;
    element.dataset.shown = recent ? "relative" : "absolute";
  }

  function refresh() {
    var now = Date.now();
    document.querySelectorAll("time[datetime]").forEach(function (element) {
      show(element, now);
    });
  }

  refresh();
  window.setInterval(refresh, 60 * 1000);
  // Lists drawn later (a popup) get their times on the next refresh; a
  // script that adds times can call this at once.
  window.microblogDates = {refresh: refresh};
})();
