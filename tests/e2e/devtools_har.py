"""What Chrome DevTools' HAR importer demands of a file, re-stated in Python.

The rules follow the importer of ChromeDevTools/devtools-frontend at commit
35f5a01d816a1535866303da2b6d037677ef30b2: front_end/models/har/HARFormat.ts (the HAR* classes
whose constructors throw, which makes DevTools refuse the whole file) and
front_end/models/har/Importer.ts (what it then reads from the parsed entries). Each rule here
names the class and field it comes from. JavaScript's conversions are re-stated for JSON
values: Number(), String(), new Date(), truthiness.

check(har) raises HarRejected naming the first field DevTools would refuse, or returns the
entries as DevTools would list them (sorted by startedDateTime, as Importer.requestsFromHARLog
does).
"""

import datetime
import math
import re


class HarRejected(Exception):
    pass


_MISSING = object()  # JavaScript's undefined: the key is absent


def _js_number(value):
    """Number(value) for a JSON value, or NaN."""
    if value is _MISSING:
        return math.nan
    if value is None:
        return 0.0
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        text = value.strip()
        if text == "":
            return 0.0
        if re.fullmatch(r"[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?", text):
            return float(text)
        if re.fullmatch(r"0[xX][0-9a-fA-F]+", text):
            return float(int(text, 16))
        if text in ("Infinity", "+Infinity", "-Infinity"):
            return -math.inf if text.startswith("-") else math.inf
        return math.nan
    if isinstance(value, list):  # via its string form: [] -> "", [5] -> "5"
        if len(value) == 0:
            return 0.0
        if len(value) == 1 and not isinstance(value[0], (list, dict)):
            return _js_number(value[0] if value[0] is not None else "")
        return math.nan
    return math.nan  # objects


# The ECMAScript date time string format (ECMA-262 "Date Time String Format"), the one form
# every engine must parse; V8 accepts more, so a date passing here passes in DevTools.
_ISO_DATE = re.compile(
    r"(?P<y>[+-]\d{6}|\d{4})(-(?P<mo>\d{2})(-(?P<d>\d{2}))?)?"
    r"(T(?P<h>\d{2}):(?P<mi>\d{2})(:(?P<s>\d{2})(\.\d+)?)?(?P<z>Z|[+-]\d{2}:\d{2})?)?")


def _valid_date(value):
    """not Number.isNaN(new Date(value).getTime())"""
    if value is _MISSING:
        return False
    if value is None or isinstance(value, bool):
        return True  # new Date(null) is the epoch
    if isinstance(value, (int, float)):
        return math.isfinite(value) and abs(value) <= 8.64e15
    if not isinstance(value, str):
        return False
    m = _ISO_DATE.fullmatch(value)
    if not m:
        return False
    try:
        year = int(m["y"])
        datetime.date(max(1, min(9999, year)), int(m["mo"] or 1), int(m["d"] or 1))
        if m["h"] is not None:
            hour, minute, second = int(m["h"]), int(m["mi"]), int(m["s"] or 0)
            if hour > 24 or minute > 59 or second > 59:
                return False
    except ValueError:
        return False
    return True


class _Checker:
    def __init__(self):
        self.path = []

    def fail(self, why):
        where = "".join(self.path) or "(root)"
        raise HarRejected(f"{where}: {why}")

    def at(self, key):
        checker = self

        class _Scope:
            def __enter__(self):
                checker.path.append(f"[{key}]" if isinstance(key, int) else f".{key}")

            def __exit__(self, *exc):
                checker.path.pop()

        return _Scope()

    # HARBase: "First parameter is expected to be an object" (typeof 'object', not null;
    # an array is an object to JavaScript).
    def base(self, data):
        if data is _MISSING or data is None or not isinstance(data, (dict, list)):
            self.fail("First parameter is expected to be an object")

    @staticmethod
    def get(data, key):
        return data.get(key, _MISSING) if isinstance(data, dict) else _MISSING

    def field(self, data, key, rule):
        with self.at(key):
            return rule(self.get(data, key))

    def safe_number(self, value):
        number = _js_number(value)
        if math.isnan(number):
            self.fail("Casting to number results in NaN")
        return number

    def optional_number(self, value):
        return None if value is _MISSING else self.safe_number(value)

    def safe_date(self, value):
        if not _valid_date(value):
            self.fail("Invalid date format")
        return value

    def objects(self, data, key, rule):
        """Array.isArray(data[key]) ? data[key].map(x => new Rule(x)) : []"""
        value = self.get(data, key)
        if not isinstance(value, list):
            return
        with self.at(key):
            for i, item in enumerate(value):
                with self.at(i):
                    rule(item)

    # HARRoot
    def root(self, data):
        self.base(data)
        with self.at("log"):
            return self.log(self.get(data, "log"))

    # HARLog
    def log(self, data):
        self.base(data)
        self.field(data, "creator", self.creator)
        if self.get(data, "browser") not in (_MISSING, None, False, 0, ""):
            self.field(data, "browser", self.creator)
        self.objects(data, "pages", self.page)
        entries = self.get(data, "entries")
        if not isinstance(entries, list):
            self.fail("log.entries is expected to be an array")
        with self.at("entries"):
            for i, entry in enumerate(entries):
                with self.at(i):
                    self.entry(entry)
        return entries

    # HARCreator
    def creator(self, data):
        self.base(data)

    # HARPage, HARPageTimings
    def page(self, data):
        self.base(data)
        self.field(data, "startedDateTime", self.safe_date)
        with self.at("pageTimings"):
            timings = self.get(data, "pageTimings")
            self.base(timings)
            self.field(timings, "onContentLoad", self.optional_number)
            self.field(timings, "onLoad", self.optional_number)

    # HAREntry
    def entry(self, data):
        self.base(data)
        self.field(data, "startedDateTime", self.safe_date)
        self.field(data, "time", self.safe_number)
        self.field(data, "request", self.request)
        self.field(data, "response", self.response)
        self.field(data, "timings", self.timings)
        initiator = self.get(data, "_initiator")
        if isinstance(initiator, (dict, list)) or initiator is None:  # typeof === 'object'
            self.field(data, "_initiator", self.initiator)
        messages = self.get(data, "_webSocketMessages")
        if isinstance(messages, list):
            with self.at("_webSocketMessages"):
                for i, message in enumerate(messages):
                    if not isinstance(message, (dict, list)) and message is not None:
                        break  # importWebSocketMessages stops at a non-object
                    with self.at(i):
                        self.base(message)
                        self.field(message, "time", self.optional_number)
                        self.field(message, "opcode", self.optional_number)

    # HARRequest
    def request(self, data):
        self.base(data)
        self.objects(data, "cookies", self.cookie)
        self.objects(data, "headers", self.base)  # HARHeader
        self.objects(data, "queryString", self.base)  # HARQueryString
        post = self.get(data, "postData")
        if post not in (_MISSING, None, False, 0, ""):
            with self.at("postData"):
                self.base(post)
                self.objects(post, "params", self.base)  # HARParam
        self.field(data, "headersSize", self.safe_number)
        self.field(data, "bodySize", self.safe_number)

    # HARResponse
    def response(self, data):
        self.base(data)
        self.field(data, "status", self.safe_number)
        self.objects(data, "cookies", self.cookie)
        self.objects(data, "headers", self.base)
        self.field(data, "content", self.content)
        self.field(data, "headersSize", self.safe_number)
        self.field(data, "bodySize", self.safe_number)
        self.field(data, "_transferSize", self.optional_number)

    # HARCookie
    def cookie(self, data):
        self.base(data)
        expires = self.get(data, "expires")
        if expires not in (_MISSING, None, False, 0, ""):
            self.field(data, "expires", self.safe_date)

    # HARContent
    def content(self, data):
        self.base(data)
        self.field(data, "size", self.safe_number)
        self.field(data, "compression", self.optional_number)

    # HARTimings
    def timings(self, data):
        self.base(data)
        for key in ("blocked", "dns", "connect", "ssl", "_blocked_queueing", "_blocked_proxy",
                    "_workerStart", "_workerReady", "_workerFetchStart",
                    "_workerRespondWithSettled"):
            self.field(data, key, self.optional_number)
        for key in ("send", "wait", "receive"):
            self.field(data, key, self.safe_number)

    # HARInitiator, HARStack, HARCallFrame
    def initiator(self, data):
        self.base(data)
        self.field(data, "lineNumber", self.optional_number)
        stack = self.get(data, "stack")
        if stack not in (_MISSING, None, False, 0, ""):
            self.field(data, "stack", self.stack)

    def stack(self, data):
        self.base(data)
        frames = self.get(data, "callFrames")
        if isinstance(frames, list):
            with self.at("callFrames"):
                for i, frame in enumerate(frames):
                    if frame in (None, False, 0, ""):
                        continue  # filtered out
                    with self.at(i):
                        self.base(frame)
                        self.field(frame, "lineNumber", self.optional_number)
                        self.field(frame, "columnNumber", self.optional_number)
        parent = self.get(data, "parent")
        if parent not in (_MISSING, None, False, 0, ""):
            self.field(data, "parent", self.stack)


def check(har):
    """Raises HarRejected when DevTools would refuse `har` (parsed JSON); returns its
    entries in the order DevTools lists them."""
    entries = _Checker().root(har)
    return sorted(entries, key=lambda e: e["startedDateTime"])
