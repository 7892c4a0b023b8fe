// The history's filters: dates are days where the viewer is, so the form
// says how far their clock is from UTC (minutes east), as the server
// renders times in UTC and console.js shows them in local time.

const tz = document.getElementById("history-tz");
if (tz) tz.value = String(-new Date().getTimezoneOffset());
