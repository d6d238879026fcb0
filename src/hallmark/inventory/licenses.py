"""Licence identification and classification: SPDX normalisation, LICENSE-text recognition,
copyleft / non-commercial / use-restricted tests.

Pure: no file or network I/O of its own (license-expression reads its bundled licence index once,
lazily). Every function takes untrusted strings and never raises on them.

Decisions the audit rules rely on:
- A test is true when ANY licence in an expression has the property, whatever the operator:
  'MIT OR GPL-3.0-only' is copyleft, because a recipient may have taken the GPL branch and the
  audit has to look.
- Copyleft means the GPL, AGPL, LGPL, SSPL and EUPL families only; file-level or share-alike
  licences (MPL, EPL, CC-BY-SA, ODbL) are not flagged by is_copyleft.
- The Llama 2/3 community licences are NOT non-commercial: they allow commercial use up to the
  700M monthly-users threshold. They, the RAIL family and Gemma are use-restricted instead.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

MAX_EXPRESSION_CHARS = 2_000
MAX_TEXT_CHARS = 512 * 1024

# Names seen in package metadata, classifiers and model/dataset cards that are not SPDX ids.
# Names with operators or parentheses inside are only matched as a whole string.
_ALIASES: dict[str, tuple[str, ...]] = {
    "MIT": ("MIT License", "The MIT License", "The MIT License (MIT)", "MIT license (MIT)",
            "MIT Licence", "Expat", "Expat License", "MIT/Expat"),
    "MIT-0": ("MIT No Attribution", "MIT-0 License"),
    "Apache-2.0": ("Apache 2.0", "Apache 2", "Apache-2", "Apache2", "Apache v2", "Apache v2.0",
                   "Apache License 2.0", "Apache License, Version 2.0", "Apache 2.0 License",
                   "Apache License Version 2.0", "Apache License v2.0", "Apache-2.0 License",
                   "Apache Software License", "Apache Software License 2.0", "ASL 2.0",
                   "Apache Software License, Version 2.0", "Apache License (2.0)",
                   "Apache License", "ASL-2.0"),
    "BSD-3-Clause": ("BSD 3-Clause", "BSD-3", "BSD 3-Clause License", "3-Clause BSD License",
                     "3-clause BSD", "New BSD License", "Modified BSD License", "New BSD",
                     "Revised BSD License", "BSD-3-Clause License"),
    "BSD-2-Clause": ("BSD 2-Clause", "BSD-2", "BSD 2-Clause License", "2-Clause BSD License",
                     "2-clause BSD", "Simplified BSD License", "FreeBSD License"),
    "GPL-2.0-only": ("GPLv2", "GPL v2", "GPL-2", "GPL2", "GNU GPL v2", "GNU GPLv2",
                     "GNU General Public License v2 (GPLv2)", "GNU General Public License v2",
                     "GNU General Public License v2.0", "GNU General Public License version 2"),
    "GPL-2.0-or-later": ("GPLv2+", "GPL v2+", "GPL-2+", "GPL2+", "GNU GPLv2+",
                         "GNU General Public License v2 or later (GPLv2+)"),
    "GPL-3.0-only": ("GPLv3", "GPL v3", "GPL-3", "GPL3", "GNU GPL v3", "GNU GPLv3",
                     "GNU General Public License v3 (GPLv3)", "GNU General Public License v3",
                     "GNU General Public License v3.0", "GNU General Public License version 3"),
    "GPL-3.0-or-later": ("GPLv3+", "GPL v3+", "GPL-3+", "GPL3+", "GNU GPLv3+",
                         "GNU General Public License v3 or later (GPLv3+)"),
    "LGPL-2.0-only": ("LGPLv2", "GNU Lesser General Public License v2 (LGPLv2)"),
    "LGPL-2.0-or-later": ("LGPLv2+", "GNU Lesser General Public License v2 or later (LGPLv2+)"),
    "LGPL-2.1-only": ("LGPLv2.1", "LGPL v2.1", "LGPL-2.1 License"),
    "LGPL-2.1-or-later": ("LGPLv2.1+", "LGPL v2.1+"),
    "LGPL-3.0-only": ("LGPLv3", "LGPL v3", "LGPL3", "GNU Lesser General Public License v3 (LGPLv3)",
                      "GNU Lesser General Public License v3"),
    "LGPL-3.0-or-later": ("LGPLv3+", "LGPL v3+", "LGPL3+",
                          "GNU Lesser General Public License v3 or later (LGPLv3+)"),
    "AGPL-3.0-only": ("AGPLv3", "AGPL v3", "AGPL-3", "AGPL3", "GNU AGPLv3",
                      "GNU Affero General Public License v3",
                      "GNU Affero General Public License v3 (AGPLv3)"),
    "AGPL-3.0-or-later": ("AGPLv3+", "AGPL v3+", "AGPL3+",
                          "GNU Affero General Public License v3 or later (AGPLv3+)"),
    "MPL-2.0": ("MPL 2.0", "MPLv2", "MPL2", "MPL v2", "Mozilla Public License 2.0",
                "Mozilla Public License 2.0 (MPL 2.0)", "Mozilla Public License, Version 2.0"),
    "EPL-2.0": ("EPL 2.0", "Eclipse Public License 2.0", "Eclipse Public License 2.0 (EPL-2.0)"),
    "EUPL-1.2": ("EUPL 1.2", "EUPLv1.2", "European Union Public Licence 1.2",
                 "European Union Public Licence 1.2 (EUPL 1.2)"),
    "EUPL-1.1": ("EUPL 1.1", "EUPLv1.1", "European Union Public Licence 1.1",
                 "European Union Public Licence 1.1 (EUPL 1.1)"),
    "SSPL-1.0": ("SSPL", "SSPLv1", "SSPL v1", "Server Side Public License",
                 "Server Side Public License v1", "Server Side Public License, v 1"),
    "ISC": ("ISC License", "ISC License (ISCL)", "ISCL"),
    "Unlicense": ("The Unlicense", "The Unlicense (Unlicense)", "Unlicense License"),
    "CC0-1.0": ("CC0", "CC0 1.0", "CC0 1.0 Universal", "CC0-1.0 Universal",
                "CC0 1.0 Universal (CC0 1.0) Public Domain Dedication"),
    "Zlib": ("zlib License", "zlib/libpng License", "zlib/libpng"),
    "BSL-1.0": ("Boost Software License 1.0", "Boost Software License 1.0 (BSL-1.0)",
                "Boost Software License", "Boost"),
    "PSF-2.0": ("Python Software Foundation License", "PSF License", "PSF"),
    "Artistic-2.0": ("Artistic License 2.0",),
    "WTFPL": ("Do What The F*ck You Want To Public License",),
    # Model-card tags (Hugging Face) that ScanCode knows under a LicenseRef id.
    "LicenseRef-scancode-llama-2-license-2023": ("llama2", "llama-2", "Llama 2 Community License"),
    "LicenseRef-scancode-llama-3.1-license-2024": ("llama3.1", "Llama 3.1 Community License"),
    "LicenseRef-scancode-llama-3.2-license-2024": ("llama3.2", "Llama 3.2 Community License"),
    "LicenseRef-scancode-llama-3.3-license-2024": ("llama3.3", "Llama 3.3 Community License"),
    "LicenseRef-scancode-llama-4-license-2025": ("llama4", "Llama 4 Community License"),
    "LicenseRef-scancode-gemma-tou-2024-04-01": ("gemma", "Gemma Terms of Use"),
    "LicenseRef-scancode-bigscience-open-rail-m": ("bigscience-openrail-m",),
    "LicenseRef-scancode-bigcode-open-rail-m-v1": ("bigcode-openrail-m",),
    "LicenseRef-scancode-bigscience-rail-1.0": ("bigscience-bloom-rail-1.0",),
}
# Model-card tags with no SPDX or ScanCode id: kept as SPDX LicenseRefs so they stay recognisable.
_MODEL_REFS = ("openrail", "openrail++", "creativeml-openrail-m", "deepfloyd-if-license",
               "llama3", "apple-ascl", "apple-amlr", "c-uda", "lgpl-lr", "h-research")
# Words that mean "no licence stated", never a licence.
_NO_LICENCE = {"unknown", "other", "none", "noassertion", "unlicensed", "see license",
               "see license file", "proprietary", "custom", ""}

_COPYLEFT_KEY = re.compile(r"^(?:a|l)?gpl(?:-|v|\d|$)|^sspl|^eupl", re.I)
_NC_KEY = re.compile(r"(?:^|-)nc(?:-|$)|non-?commercial|research|deepfloyd", re.I)
_NOT_NC_KEYS = {"research-disclaimer"}
_RESTRICTED_KEY = re.compile(r"rail|llama|gemma|deepfloyd|stability-ai|falcon", re.I)
_COPYLEFT_NAME = re.compile(
    r"\b(?:a|l)?gpl|general public licen[cs]e|affero|server side public|european union public"
    r"|\beupl|\bsspl", re.I)
_NC_NAME = re.compile(
    r"non[\s_-]?commercial|research[\s_-]+only|research purposes only|not for commercial"
    r"|(?:^|[\s(_-])by[\s_-]nc\b", re.I)
_SPDX_TAG = re.compile(r"SPDX-License-Identifier:\s*([^\n\r*#]+)")


def _model_ref(tag: str) -> str:
    return "LicenseRef-" + tag.replace("++", "-plusplus")


@lru_cache(maxsize=1)
def _all_aliases() -> dict[str, tuple[str, ...]]:
    """_ALIASES plus the spelled-out Creative Commons names ('CC BY-NC-SA 4.0', ...)."""
    aliases = dict(_ALIASES)
    for version in ("1.0", "2.0", "2.5", "3.0", "4.0"):
        derivs = "NoDerivatives" if version == "4.0" else "NoDerivs"
        for short, words in (("BY", ""), ("BY-SA", "-ShareAlike"), ("BY-ND", "-" + derivs),
                             ("BY-NC", "-NonCommercial"),
                             ("BY-NC-SA", "-NonCommercial-ShareAlike"),
                             ("BY-NC-ND", "-NonCommercial-" + derivs)):
            long = f"Attribution{words} {version}"
            names = [f"CC {short} {version}", f"CC-{short} {version}", f"CC {short}-{version}",
                     f"CC {short} v{version}", long, f"Creative Commons {long}"]
            names += [f"{n} {scope}" for n in names[-2:] for scope in ("International", "Unported")]
            aliases[f"CC-{short}-{version}"] = tuple(names)
    return aliases


@lru_cache(maxsize=1)
def _licensing() -> Any:
    """The SPDX licensing of license-expression, taught the aliases above (built once)."""
    import copy

    import license_expression as le

    index = copy.deepcopy(le.get_license_index())
    by_key = {entry.get("spdx_license_key"): entry for entry in index}
    for key, aliases in _all_aliases().items():
        simple = [a for a in aliases if not _is_whole_only(a)]
        entry = by_key.get(key)
        if entry is None and key.startswith("LicenseRef-"):
            index.append({"spdx_license_key": key, "other_spdx_license_keys": simple})
        elif entry is not None:
            entry["other_spdx_license_keys"] = list(entry["other_spdx_license_keys"]) + simple
    taken = {str(name).lower() for entry in index if entry.get("spdx_license_key")
             for name in (entry["spdx_license_key"], *entry["other_spdx_license_keys"])}
    for entry in index:
        # ScanCode's own short keys ('llama-2-license-2023') are understood where unambiguous.
        short = str(entry.get("license_key", ""))
        if str(entry.get("spdx_license_key", "")).startswith("LicenseRef-scancode-") and (
                short.lower() not in taken):
            entry["other_spdx_license_keys"] = [*entry["other_spdx_license_keys"], short]
            taken.add(short.lower())
    for tag in _MODEL_REFS:
        index.append({"spdx_license_key": _model_ref(tag), "other_spdx_license_keys": [tag]})
    return le.build_spdx_licensing(index)


def _is_whole_only(alias: str) -> bool:
    return bool(re.search(r"[()/,*]|\b(?:or|and|with)\b", alias, re.I))


@lru_cache(maxsize=1)
def _whole_names() -> dict[str, str]:
    names = {_simplify(a): key for key, aliases in _all_aliases().items() for a in aliases}
    names.update({_simplify(tag): _model_ref(tag) for tag in _MODEL_REFS})
    return names


def _simplify(name: str) -> str:
    return " ".join(name.lower().replace("_", " ").split())


def _parse(expression: str) -> Any | None:
    """A parsed expression with every symbol known (or a LicenseRef), else None."""
    licensing = _licensing()
    try:
        parsed = licensing.parse(expression, validate=False, strict=True)
    except Exception:  # license-expression raises several unrelated types on bad input
        return None
    if parsed is None:
        return None
    for key in licensing.unknown_license_keys(parsed):
        if not re.fullmatch(r"(?:DocumentRef-[\w.-]+:)?LicenseRef-[\w.-]+", str(key)):
            return None
    return parsed


def normalise(expression: str) -> str | None:
    """An SPDX expression normalised with license-expression; None when it cannot be understood."""
    if not isinstance(expression, str) or len(expression) > MAX_EXPRESSION_CHARS:
        return None
    text = " ".join(expression.split())
    if _simplify(text).strip(" .") in _NO_LICENCE:
        return None
    whole = _whole_names().get(_simplify(text))
    if whole is not None:
        return whole
    parsed = _parse(text)
    if parsed is None and "/" in text:
        parsed = _parse(re.sub(r"\s*/\s*", " OR ", text))  # 'MIT/Apache-2.0', as crates wrote it
    if parsed is None and "," in text:
        parsed = _parse(re.sub(r"\s*,\s*", " AND ", text))
    return None if parsed is None else str(_licensing().dedup(parsed))


def _license_keys(expression: str) -> list[str] | None:
    """The licence ids (exceptions left out) of a normalisable expression, else None."""
    normalised = normalise(expression)
    if normalised is None:
        return None
    licensing = _licensing()
    keys = []
    for symbol in licensing.license_symbols(licensing.parse(normalised), decompose=False):
        base = getattr(symbol, "license_symbol", symbol)
        keys.append(str(base.key))
    return keys


def _bare(key: str) -> str:
    key = re.sub(r"^(?:DocumentRef-[\w.-]+:)?LicenseRef-", "", key)
    return re.sub(r"^scancode-", "", key)


def _classify(expression_or_name: str, key_rule: re.Pattern[str], name_rule: re.Pattern[str],
              exclude: set[str] | None = None) -> bool:
    if not isinstance(expression_or_name, str):
        return False
    keys = _license_keys(expression_or_name)
    if keys is None and (len(expression_or_name) > 200 or "\n" in expression_or_name):
        identified = identify_license_text(expression_or_name)
        keys = None if identified is None else _license_keys(identified)
    if keys is not None:
        return any(key_rule.search(_bare(k)) and _bare(k) not in (exclude or set()) for k in keys)
    return bool(name_rule.search(expression_or_name[:MAX_TEXT_CHARS]))


def is_copyleft(expression: str) -> bool:
    """True when any licence in the expression is of the GPL, AGPL, LGPL, SSPL or EUPL family."""
    return _classify(expression, _COPYLEFT_KEY, _COPYLEFT_NAME)


def is_noncommercial(expression_or_name: str) -> bool:
    """True for non-commercial or research-only licences (CC-BY-NC*, DeepFloyd IF, ...)."""
    return _classify(expression_or_name, _NC_KEY, _NC_NAME, _NOT_NC_KEYS)


def is_use_restricted(expression_or_name: str) -> bool:
    """True for licences with use-based restrictions (RAIL family, Llama, Gemma, ...)."""
    return _classify(expression_or_name, _RESTRICTED_KEY, re.compile(r"\brail\b|llama|gemma",
                                                                     re.I))


# --- recognising licence texts -------------------------------------------------------------------

def _canonical(text: str) -> str:
    """Lower case, punctuation and layout reduced to single spaces (dots and '+' kept)."""
    return " ".join(re.sub(r"[^a-z0-9.+]+", " ", text.lower()).split())


_APPENDIX = re.compile(r"how to apply these terms to your new")
_LATER = re.compile(r"at your option any later version|version \d(?:\.\d)? or later\b"
                    r"|or later version|\bgplv?\d(?:\.\d)?\+")

_GNU_FAMILIES = (("AGPL", r"gnu affero general public licen[cs]e"),
                 ("LGPL", r"gnu (?:lesser|library) general public licen[cs]e"),
                 ("GPL", r"gnu general public licen[cs]e"))
_GNU_DEFAULT = {"AGPL": "AGPL-3.0-or-later", "LGPL": "LGPL-2.0-or-later",
                "GPL": "GPL-1.0-or-later"}


def _gnu(family: str, text: str, at: int) -> str:
    version = re.search(r"version (\d(?:\.\d)?)\b", text[at:at + 200])
    if version is None:
        return _GNU_DEFAULT[family]  # no version named: any version may be chosen
    number = version.group(1) if "." in version.group(1) else version.group(1) + ".0"
    body = text[:m.start()] if (m := _APPENDIX.search(text)) else text
    suffix = "-or-later" if _LATER.search(body) else "-only"
    spdx = f"{family}-{number}{suffix}"
    if "classpath exception" in text and "linking this library statically or dynamically" in text:
        spdx += " WITH Classpath-exception-2.0"
    return spdx


def _gnu_rule(family: str) -> Any:
    return lambda text, match: _gnu(family, text, match.start())


def _bsd(text: str) -> str:
    if "all advertising materials mentioning features or use of this software" in text:
        return "BSD-4-Clause"
    if "no express or implied licenses to any party s patent rights are granted" in text:
        return "BSD-3-Clause-Clear"
    if "endorse or promote products derived from this software" in text:
        return "BSD-3-Clause"
    return "BSD-2-Clause"


def _mit(text: str) -> str:
    if "the above copyright notice and this permission notice shall be included" in text:
        return "MIT"
    return "MIT-0"


def _isc(text: str) -> str:
    granted = re.search(r"for any purpose with or without fee is hereby granted (provided that)?",
                        text)
    return "ISC" if granted and granted.group(1) else "0BSD"


def _cc(match: re.Match[str]) -> str:
    words, version = match.group(1), match.group(2)
    spdx = "CC-BY" + ("-NC" if "noncommercial" in words or "non commercial" in words else "")
    if "sharealike" in words or "share alike" in words:
        spdx += "-SA"
    elif "noderiv" in words or "no deriv" in words:
        spdx += "-ND"
    return f"{spdx}-{version}"


def _eupl(text: str, at: int) -> str:
    version = re.search(r"(?:v\.? ?|version )(1\.[0-2])", text[at:at + 80])
    if version is None:
        version = re.search(r"eupl v\.? ?(1\.[0-2])", text)
    return f"EUPL-{version.group(1) if version else '1.2'}"


# (pattern, result): result is an SPDX id, or a function of the canonical text and the match.
_RULES: list[tuple[str, Any]] = [
    *[(pattern, _gnu_rule(family)) for family, pattern in _GNU_FAMILIES],
    (r"server side public license", "SSPL-1.0"),
    (r"european union public licen[cs]e", lambda t, m: _eupl(t, m.start())),
    (r"mozilla public license(?: version| v\.)? 2\.0", "MPL-2.0"),
    (r"mozilla public license(?: version| v\.)? 1\.1", "MPL-1.1"),
    (r"eclipse public license(?: v| version)? 2\.0", "EPL-2.0"),
    (r"eclipse public license(?: v| version)? 1\.0", "EPL-1.0"),
    (r"apache license version 2\.0|apache\.org licenses license 2\.0", "Apache-2.0"),
    (r"apache software license version 1\.1", "Apache-1.1"),
    (r"\battribution((?: noncommercial| non commercial| sharealike| share alike| noderivatives"
     r"| noderivs| no derivatives)*) (\d\.\d) (?:international|unported|generic)",
     lambda t, m: _cc(m) if "creative commons" in t else None),
    (r"\bcc0 1\.0 universal", "CC0-1.0"),
    (r"this is free and unencumbered software released into the public domain", "Unlicense"),
    (r"boost software license version 1\.0", "BSL-1.0"),
    (r"do what the fuck you want to public license", "WTFPL"),
    (r"python software foundation license version 2", "PSF-2.0"),
    (r"the artistic license 2\.0", "Artistic-2.0"),
    (r"altered source versions must be plainly marked as such and must not be misrepresented",
     "Zlib"),
    (r"permission to use copy modify and (?:or )?distribute this software for any purpose with or"
     r" without fee is hereby granted", lambda t, m: _isc(t)),
    (r"redistribution and use in source and binary forms with or without modification are"
     r" permitted provided that", lambda t, m: _bsd(t)),
    (r"permission is hereby granted free of charge to any person obtaining a copy of this"
     r" software", lambda t, m: _mit(t)),
]
_COMPILED = [(re.compile(pattern), result) for pattern, result in _RULES]


def identify_license_text(text: str) -> str | None:
    """SPDX id of a LICENSE/COPYING text, from its distinctive phrases; None when unrecognised."""
    if not isinstance(text, str):
        return None
    text = text[:MAX_TEXT_CHARS]
    tag = _SPDX_TAG.search(text)
    if tag and (spdx := normalise(tag.group(1).strip())):
        return spdx
    if len(text) < 200 and (spdx := normalise(text.strip())):
        return spdx  # a LICENSE that holds nothing but the licence's name
    canonical = _canonical(text)
    best: tuple[int, str] | None = None
    for pattern, result in _COMPILED:
        match = pattern.search(canonical)
        if match is None or (best is not None and match.start() >= best[0]):
            continue
        spdx = result if isinstance(result, str) else result(canonical, match)
        if spdx is not None:
            best = (match.start(), spdx)  # the licence named first is the file's own
    return None if best is None else best[1]
