"""Word lists and request patterns of the shell's fast path (aios.shell.commands):
typical misspellings, the politeness around a request, and one regex a request form,
each tagged with the kind of built-in that answers it. Data and matching only."""

from __future__ import annotations

import re
from collections.abc import Iterator
from types import MappingProxyType

__all__ = ["FUNCTION_WORDS", "MULTI", "NOT_PATHS", "VERBS", "matches", "normalize"]

FUNCTION_WORDS = frozenset(
    "me us my our your the a an all any some every everything anything something nothing "
    "what which who how why when where out up with for about of on in to from between i is "
    "are was this that these those it and please can could do does you if".split()
)
VERBS = (
    r"(?:summari[sz]e|delete|remove|erase|wipe|rm|destroy|move|mv|rename|copy|cp|write|rewrite|"
    r"edit|create|make|send|e-?mail|translate|merge|combine|compare|explain|tell|update|append|"
    r"overwrite|replace|organi[sz]e|sort|group|archive|share|upload|run|execute|kill|fix|save|"
    r"put|add|change|modify|revert|undo|restore|draft|generate|publish|describe|analy[sz]e|"
    r"show|open|read|display|print|search|find|look|list)"
)
MULTI = re.compile(
    rf"(?:[,;&|]|\b(?:and|then|also|plus|after\s+that|afterwards)\b)\s*(?:then\s+|also\s+)?"
    rf"(?:please\s+)?{VERBS}\b"
    r"|\b(?:and|plus)\s+(?:also\s+)?(?:for|about)\b",  # "search for owls and for the budget"
    re.I,
)
_TYPOS = MappingProxyType(
    {
        bad: good
        for line in """
processes: proccesses processess proceses procesess processses prcesses porcesses proesses
processes: processs procceses proccesess prosesses
process: proccess procces proces prosess
history: histroy hisotry hsitory histry histoy hitsory histor
search: serach seach saerch searh serch sreach
find: fnid fidn findd
list: lsit
show: shwo hsow sohw shw
running: runing runnning rnning runnig
agents: agnets agnts agens agetns
tools: tols toolz tooles
approvals: aprovals approvels apporvals approvls aproval
pending: pening pendng pendign
undo: udno unod undoo
revert: revrt reveret
change: chnage chagne cahnge
notes: notse ntoes noets
files: fiels filse
what: wat waht hwat
kill: kil kll
versions: verions verisons""".strip().splitlines()
        for good, bads in [line.split(":")]
        for bad in bads.split()
    }
)
_HEAD = re.compile(
    r"^(?:(?:please|pls|plz|kindly|hey|hi|hello|ok|okay|so|now|aios|would\s+you\s+mind|"
    r"(?:can|could|would|will)\s+(?:you|u)|i\s+want\s+to|i\s+wanna|i'?d\s+like\s+to|"
    r"i\s+would\s+like\s+to|i\s+need\s+to|help\s+me|let\s+me|(?:can|could|may)\s+i|"
    r"tell\s+me)\b[\s,:]*(?:!\s+)?)+",
    re.I,
)
_TAIL = re.compile(
    r"(?:[\s,]+(?:please|pls|plz|thanks|thank\s+you|thx|for\s+me|now|right\s+now|again))+$", re.I
)
NOT_PATHS = frozenset(
    "it this that them these those everything all files notes stuff something anything "
    "me my the processes agents tools approvals here there".split()
)
_FRAGMENTS = MappingProxyType(
    {
        "ME": r"(?:\s+(?:me|us))?",
        "ART": r"(?:(?:the|my|all|our|any|every|current|currently|of|your|these|those)\s+)*",
        "SHOW": r"(?:show|list|display|get|give|see|view|check|print|tell)",
        "RUN": r"(?:running|active|live|alive|current|open)",
        "P": r"(?P<p>\"[^\"]+\"|'[^']+'|\S+)",
        "F": r"(?:(?:the\s+)?file\s+)?",
        "DIR": r"(?:the\s+|my\s+)?(?:(?:folder|directory|dir)\s+)?(?P<p>\"[^\"]+\"|'[^']+'|\S+)"
        r"(?:\s+(?:folder|directory|dir))?",
        "Q": r"(?P<q>.+)",
        "WHAT": r"(?:notes?|files?|documents?|docs?|anything|something|stuff|things|everything|"
        r"texts?|pages?|entries|info|information|material)",
        "ABOUT": r"(?:about|on|regarding|concerning|mentioning|related\s+to|relating\s+to|"
        r"that\s+(?:mention|contain|talk\s+about|discuss)|which\s+mention|containing|"
        r"discussing|with)",
        "PREV": r"(?:the\s+|its\s+)?(?:previous|last|prior|earlier|older)\s+version",
    }
)
# One request form a line: its kind, then a regex matching the whole normalized request;
# {NAME} is a fragment above; an indented line continues the one before.
_TABLE = r"""
kill (?:kill|stop|terminate|end|cancel|abort|halt)\s+(?:(?:the\s+)?(?:process|proc|pid|job|task
  |agent)\s+)?(?:#|number\s+|no\.?\s*)?(?P<pid>\d{1,16})
ps {SHOW}{ME}\s+{ART}(?:{RUN}\s+)?(?:processes|procs|process\s+(?:list|table)|jobs)(?:\s+
  (?:that\s+are\s+)?{RUN}|\s+running\s+now)?
ps {SHOW}{ME}\s+{ART}{RUN}\s+agents|{ART}(?:{RUN}\s+)?(?:processes|procs|ps)
ps what(?:'s|s|\s+is|\s+are)?\s+(?:(?:currently|still|now)\s+)?running(?:\s+(?:now|currently
  |at\s+the\s+moment))?
ps (?:what|which)\s+(?:are\s+)?{ART}(?:processes|procs|jobs)(?:\s+(?:are\s+)?(?:there|{RUN}
  |running\s+now))?|(?:what|which)\s+agents\s+are\s+{RUN}
ps (?:is\s+)?(?:anything|something|any\s+process|any\s+agent)\s+(?:still\s+)?running
approvals (?:{SHOW}{ME}\s+)?{ART}(?:pending|open|outstanding|waiting|unanswered)\s+(?:approvals?
  |approval\s+requests|requests(?:\s+for\s+approval)?|confirmations)
approvals {SHOW}{ME}\s+{ART}approvals?(?:\s+requests)?|(?:are\s+there\s+|do\s+i\s+have\s+)?any
  \s+(?:pending\s+)?approvals?(?:\s+(?:pending|waiting))?
approvals (?:what|anything|is\s+anything|are\s+there\s+any|any|does\s+anything)\s+(?:needs?
  |needing|waiting\s+for|awaiting|pending|that\s+needs?)\s+(?:my\s+|an\s+)?(?:approval
  |approvals|confirmation|sign-?off)
agents (?:what|which)\s+agents\s+(?:are\s+there|are\s+(?:available|installed)|(?:do|can)\s+
  (?:i|we|you)\s+(?:have|use|run|call)|(?:i|we)\s+can\s+(?:use|run)|exist|have\s+(?:i|we)\s+got)
agents {SHOW}{ME}\s+{ART}(?:available\s+|installed\s+)?agents(?:\s+(?:available|installed|i\s+
  can\s+(?:use|run)))?|(?:available|installed)\s+agents
tools (?:what|which)\s+tools\s+(?:are\s+there|are\s+(?:available|installed)|(?:do|can)\s+
  (?:i|we|you)\s+(?:have|use|run|call)|(?:i|we)\s+can\s+(?:use|call)|exist|have\s+(?:i|we)\s+got)
tools {SHOW}{ME}\s+{ART}(?:available\s+)?tools(?:\s+(?:available|i\s+can\s+use))?
  |available\s+tools
help what\s+(?:commands|built-?ins)\s+(?:are\s+there|(?:can|do)\s+(?:i|you)\s+(?:use|have)
  |exist)|what\s+can\s+(?:you|i)\s+do(?:\s+here)?|{SHOW}{ME}\s+(?:the\s+)?(?:help|commands
  |built-?ins)|how\s+do\s+i\s+use\s+(?:this|you|the\s+shell|aios)
exit bye|goodbye|good\s+bye|see\s+you|log\s*out|i'?m\s+done
history (?:{SHOW}{ME}\s+)?(?:the\s+)?(?:(?:version|revision|edit|change)\s+)?(?:history
  |versions|revisions|log)\s+(?:of|for|on)\s+{F}{P}
history (?:what|which)\s+(?:are\s+the\s+)?versions\s+(?:of|does)\s+{F}{P}(?:\s+have)?
history (?:how|when)\s+(?:has|did|was)\s+{P}\s+(?:changed?|been\s+(?:changed|edited|modified)
  |edited|modified)(?:\s+over\s+time)?
history_file {P}\s+(?:history|versions)
diff what(?:'s|s|\s+has|\s+was)?\s+changed?\s+(?:in|on|to|with|about)\s+{F}{P}(?:\s+(?:lately
  |recently|last\s+time))?
diff {SHOW}{ME}\s+(?:the\s+|my\s+)?(?:(?:last|latest|recent|most\s+recent)\s+)?(?:changes?
  |diff|edits?|differences?)\s+(?:to|in|of|for|on)\s+{F}{P}
undo (?:undo|revert|reverse|roll\s*back)\s+(?:my\s+|the\s+)?(?:(?:last|latest|most\s+recent
  |previous|recent)\s+)?(?:change|edit|write|modification|update|save)\s+(?:to|in|of|on)\s+{F}{P}
undo (?:undo|revert|reverse|roll\s*back)\s+(?:my\s+|the\s+)?(?:last\s+)?(?P<n>\d{1,9})\s+
  (?:changes|edits|versions|writes)\s+(?:to|in|of|on)\s+{F}{P}
undo_file (?:undo|revert|roll\s*back)\s+{F}{P}(?:\s+to\s+{PREV})?
undo_file (?:restore|put\s+back)\s+{F}{P}\s+(?:to\s+)?{PREV}
ls what(?:'s|s|\s+is|\s+are)?\s+(?:in|inside|under)\s+{DIR}
ls what\s+files\s+(?:are\s+there\s+|are\s+|do\s+i\s+have\s+)?(?:in|inside|under)\s+{DIR}
ls {SHOW}{ME}\s+{ART}(?:files|contents?|everything|documents|docs|items|entries|notes|stuff)\s+
  (?:in|inside|under|of|from|within)\s+{DIR}
ls_root {SHOW}{ME}\s+{ART}(?:files|folders|documents|docs)|what\s+files\s+(?:do\s+i\s+have
  |are\s+there)
ls_dir (?:list|ls)\s+(?:the\s+)?(?:folder\s+|directory\s+)?{P}
cat (?:show|display|print|cat|open|read|view|output|dump|type){ME}\s+(?:the\s+)?(?:(?:contents?
  |text)\s+of\s+)?{F}{P}
cat what\s+does\s+{F}{P}\s+say
find (?:find|search|look|locate|hunt|dig\s+up|pull\s+up|fetch|get|show){ME}(?:\s+(?:for|up
  |through|around))*\s+{ART}{WHAT}\s+{ABOUT}\s+{Q}
find (?:search|look)(?:\s+{ART}(?:notes|files|documents|docs|everything))?\s+(?:for|up)\s+{Q}
find (?:do\s+i\s+have|are\s+there|is\s+there|any|have\s+i\s+(?:got|written)|did\s+i\s+write)\s+
  {ART}{WHAT}\s+{ABOUT}\s+{Q}
find {WHAT}\s+{ABOUT}\s+{Q}
find (?:what|which)\s+{WHAT}\s+(?:(?:do\s+i\s+have|are\s+there|have\s+i\s+got)\s+{ABOUT}
  |mention|talk\s+about|discuss|contain|are\s+about)\s+{Q}
find where\s+(?:did\s+i\s+(?:write|note|mention)|have\s+i\s+(?:written|mentioned)|are\s+{ART}
  {WHAT})\s+(?:about\s+|on\s+)?{Q}
find_any (?:find|search|locate){ME}\s+{Q}
"""


def _compile(table: str) -> tuple[tuple[str, re.Pattern[str]], ...]:
    rows: list[list[str]] = []
    for line in table.strip().splitlines():
        if line.startswith("  "):
            rows[-1][1] += line.strip()
        else:
            rows.append(line.split(" ", 1))
    expand = lambda p: re.sub(r"\{([A-Z]+)\}", lambda m: _FRAGMENTS[m[1]], p)  # noqa: E731
    return tuple((kind, re.compile(expand(p), re.I)) for kind, p in rows)


_COMPILED = _compile(_TABLE)


def normalize(text: str) -> str:
    t = " ".join(text.replace("\u2019", "'").split())
    for _ in range(3):
        t = _HEAD.sub("", t)
        t = re.sub(r"[\s?!.,;:…]+$", "", t)
        t = _TAIL.sub("", t)
    return re.sub(r"(?<!\S)[A-Za-z]+(?!\S)", lambda m: _TYPOS.get(m[0].lower(), m[0]), t)


def matches(t: str) -> Iterator[tuple[str, re.Match[str]]]:
    """The request forms that a normalized request ``t`` matches, in the table's order."""
    for kind, rx in _COMPILED:
        m = rx.fullmatch(t)
        if m is not None:
            yield kind, m
