// The modules under test, for tests/test_js_units.py to call from page.evaluate.
import * as api from "/embed/api.js";
import * as channel from "/embed/channel.js";
import * as live from "/static/live.js";

window.units = { api, channel, live };
