"""Licence normalisation, text recognition and classification (hallmark.inventory.licenses)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hallmark.inventory.licenses import (
    identify_license_text,
    is_copyleft,
    is_noncommercial,
    is_use_restricted,
    normalise,
)

# Short but genuine excerpts of the real licence texts: title, opening and distinctive clauses.
MIT = """MIT License

Copyright (c) 2024 Example Labs

Permission is hereby granted, free of charge, to any person obtaining a copy
of this software and associated documentation files (the "Software"), to deal
in the Software without restriction, including without limitation the rights
to use, copy, modify, merge, publish, distribute, sublicense, and/or sell
copies of the Software, and to permit persons to whom the Software is
furnished to do so, subject to the following conditions:

The above copyright notice and this permission notice shall be included in all
copies or substantial portions of the Software.

THE SOFTWARE IS PROVIDED "AS IS", WITHOUT WARRANTY OF ANY KIND.
"""
MIT_0 = MIT.replace(
    "The above copyright notice and this permission notice shall be included in all\n"
    "copies or substantial portions of the Software.\n", "")
APACHE = """
                                 Apache License
                           Version 2.0, January 2004
                        http://www.apache.org/licenses/

   TERMS AND CONDITIONS FOR USE, REPRODUCTION, AND DISTRIBUTION

   1. Definitions.

      "License" shall mean the terms and conditions for use, reproduction,
      and distribution as defined by Sections 1 through 9 of this document.
"""
APACHE_NOTICE = """Copyright 2023 The Example Authors.

Licensed under the Apache License, Version 2.0 (the "License");
you may not use this file except in compliance with the License.
You may obtain a copy of the License at

    http://www.apache.org/licenses/LICENSE-2.0
"""
BSD_3 = """Copyright (c) 2020, The Regents.
All rights reserved.

Redistribution and use in source and binary forms, with or without
modification, are permitted provided that the following conditions are met:

1. Redistributions of source code must retain the above copyright notice, this
   list of conditions and the following disclaimer.

2. Redistributions in binary form must reproduce the above copyright notice,
   this list of conditions and the following disclaimer in the documentation
   and/or other materials provided with the distribution.

3. Neither the name of the copyright holder nor the names of its
   contributors may be used to endorse or promote products derived from
   this software without specific prior written permission.
"""
BSD_2 = BSD_3.split("3. Neither")[0]
GPL_3 = """                    GNU GENERAL PUBLIC LICENSE
                       Version 3, 29 June 2007

 Copyright (C) 2007 Free Software Foundation, Inc. <https://fsf.org/>
 Everyone is permitted to copy and distribute verbatim copies
 of this license document, but changing it is not allowed.

                            Preamble

  The GNU General Public License is a free, copyleft license for
software and other kinds of works.

  14. Revised Versions of this License.

  If the Program specifies that a certain numbered version of the GNU General
Public License "or any later version" applies to it, you have the option of
following the terms and conditions either of that numbered version or of any
later version published by the Free Software Foundation.

                     END OF TERMS AND CONDITIONS

            How to Apply These Terms to Your New Programs

    This program is free software: you can redistribute it and/or modify
    it under the terms of the GNU General Public License as published by
    the Free Software Foundation, either version 3 of the License, or
    (at your option) any later version.
"""
GPL_2_NOTICE = """This program is free software; you can redistribute it and/or modify
it under the terms of the GNU General Public License as published by
the Free Software Foundation; either version 2 of the License, or
(at your option) any later version.
"""
LGPL_3 = """                   GNU LESSER GENERAL PUBLIC LICENSE
                       Version 3, 29 June 2007

  This version of the GNU Lesser General Public License incorporates
the terms and conditions of version 3 of the GNU General Public
License, supplemented by the additional permissions listed below.
"""
LGPL_21 = """                  GNU LESSER GENERAL PUBLIC LICENSE
                       Version 2.1, February 1999

 Copyright (C) 1991, 1999 Free Software Foundation, Inc.
[This is the first released version of the Lesser GPL.  It also counts
 as the successor of the GNU Library Public License, version 2, hence
 the version number 2.1.]
"""
AGPL_3 = """                    GNU AFFERO GENERAL PUBLIC LICENSE
                       Version 3, 19 November 2007

  The GNU Affero General Public License is a free, copyleft license for
software and other kinds of works, specifically designed to ensure
cooperation with the community in the case of network server software.
"""
MPL_2 = """Mozilla Public License Version 2.0
==================================

1. Definitions
--------------

1.1. "Contributor"
    means each individual or legal entity that creates, contributes to
    the creation of, or owns Covered Software.
"""
EUPL_12 = """EUROPEAN UNION PUBLIC LICENCE v. 1.2
EUPL © the European Union 2007, 2016

This European Union Public Licence (the 'EUPL') applies to the Work (as defined
below) which is provided under the terms of this Licence.
"""
SSPL = """                     Server Side Public License
                     VERSION 1, OCTOBER 16, 2018

                    Copyright © 2018 MongoDB, Inc.
"""
ISC = """ISC License

Copyright (c) 2004-2010 by Internet Systems Consortium, Inc. ("ISC")

Permission to use, copy, modify, and/or distribute this software for any
purpose with or without fee is hereby granted, provided that the above
copyright notice and this permission notice appear in all copies.
"""
UNLICENSE = """This is free and unencumbered software released into the public domain.

Anyone is free to copy, modify, publish, use, compile, sell, or
distribute this software, either in source code form or as a compiled
binary, for any purpose, commercial or non-commercial, and by any
means.
"""
CC_BY_4 = """Attribution 4.0 International

=======================================================================

Creative Commons Corporation ("Creative Commons") is not a law firm and
does not provide legal services or legal advice.

Creative Commons Attribution 4.0 International Public License
"""
CC_BY_NC_4 = """Attribution-NonCommercial 4.0 International

=======================================================================

Creative Commons Corporation ("Creative Commons") is not a law firm and
does not provide legal services or legal advice.

Creative Commons Attribution-NonCommercial 4.0 International Public
License

  i. NonCommercial means not primarily intended for or directed towards
     commercial advantage or monetary compensation.
"""
CC0 = """Creative Commons Legal Code

CC0 1.0 Universal

    CREATIVE COMMONS CORPORATION IS NOT A LAW FIRM AND DOES NOT PROVIDE
    LEGAL SERVICES.
"""

TEXTS = {
    "MIT": MIT, "MIT-0": MIT_0, "Apache-2.0": APACHE, "BSD-3-Clause": BSD_3,
    "BSD-2-Clause": BSD_2, "GPL-3.0-only": GPL_3, "LGPL-3.0-only": LGPL_3,
    "LGPL-2.1-only": LGPL_21, "AGPL-3.0-only": AGPL_3, "MPL-2.0": MPL_2, "EUPL-1.2": EUPL_12,
    "SSPL-1.0": SSPL, "ISC": ISC, "Unlicense": UNLICENSE, "CC-BY-4.0": CC_BY_4,
    "CC-BY-NC-4.0": CC_BY_NC_4, "CC0-1.0": CC0,
}


@pytest.mark.parametrize("spdx", sorted(TEXTS))
def test_identifies_genuine_licence_texts(spdx: str) -> None:
    assert identify_license_text(TEXTS[spdx]) == spdx


@pytest.mark.parametrize("spdx", ["MIT", "Apache-2.0", "GPL-3.0-only", "CC-BY-NC-4.0"])
def test_identification_survives_reflowing_and_markdown(spdx: str) -> None:
    reflowed = "# " + " ".join(TEXTS[spdx].split()).replace(". ", ".\n\n> ")
    assert identify_license_text(reflowed.upper()) == spdx


def test_or_later_only_when_the_notice_says_so_outside_the_appendix() -> None:
    assert identify_license_text(GPL_2_NOTICE) == "GPL-2.0-or-later"
    assert identify_license_text(GPL_2_NOTICE + "\n\n" + GPL_3) == "GPL-2.0-or-later"
    notice = GPL_2_NOTICE.replace("2", "3")
    assert identify_license_text(notice + "\n" + GPL_3) == "GPL-3.0-or-later"
    assert identify_license_text(APACHE_NOTICE) == "Apache-2.0"


def test_first_licence_in_the_file_wins_over_bundled_third_party_notices() -> None:
    assert identify_license_text(APACHE + "\n\nThird-party code:\n\n" + MIT) == "Apache-2.0"
    assert identify_license_text(MIT + "\n\nParts:\n\n" + APACHE) == "MIT"


def test_spdx_tag_and_bare_names_and_unknown_text() -> None:
    assert identify_license_text("// SPDX-License-Identifier: MIT OR Apache-2.0\n") == (
        "MIT OR Apache-2.0")
    assert identify_license_text("Apache License 2.0\n") == "Apache-2.0"
    assert identify_license_text("All rights reserved. Do not copy.") is None
    assert identify_license_text("") is None


@pytest.mark.parametrize(("name", "spdx"), [
    ("apache-2.0", "Apache-2.0"), ("Apache 2.0", "Apache-2.0"), ("MIT License", "MIT"),
    ("mit", "MIT"), ("GPLv3", "GPL-3.0-only"), ("gpl-3.0", "GPL-3.0-only"),
    ("GPL-2.0+", "GPL-2.0-or-later"), ("bsd-3-clause", "BSD-3-Clause"),
    ("cc-by-nc-4.0", "CC-BY-NC-4.0"), ("CC BY-NC-SA 4.0", "CC-BY-NC-SA-4.0"),
    ("Apache Software License", "Apache-2.0"), ("openrail", "LicenseRef-openrail"),
    ("llama2", "LicenseRef-scancode-llama-2-license-2023"),
    ("GNU General Public License v3 or later (GPLv3+)", "GPL-3.0-or-later"),
    ("mit and apache-2.0", "MIT AND Apache-2.0"), ("MIT/Apache-2.0", "MIT OR Apache-2.0"),
    ("GPL-2.0-only WITH Classpath-exception-2.0",
     "GPL-2.0-only WITH Classpath-exception-2.0"),
    ("LicenseRef-acme-eula", "LicenseRef-acme-eula"),
])
def test_normalise_known_names(name: str, spdx: str) -> None:
    assert normalise(name) == spdx


@pytest.mark.parametrize("name", ["", "UNKNOWN", "other", "not a licence", "(MIT",
                                  "MIT WITH Apache-2.0", "MIT AND", "BSD", "x" * 5000])
def test_normalise_refuses_what_it_cannot_understand(name: str) -> None:
    assert normalise(name) is None


def test_classification_decisions() -> None:
    assert is_copyleft("LGPL-2.1-or-later") and is_copyleft("AGPL-3.0-only")
    assert is_copyleft("SSPL-1.0") and is_copyleft("EUPL-1.2") and is_copyleft("GPLv2+")
    assert is_copyleft("GPL-2.0-only WITH Classpath-exception-2.0")
    assert is_copyleft("GNU Library or Lesser General Public License (LGPL)")  # by name
    assert is_copyleft(GPL_3) and not is_copyleft(MIT)
    assert not is_copyleft("MPL-2.0") and not is_copyleft("CC-BY-SA-4.0")
    assert not is_copyleft("Apache-2.0 WITH LLVM-exception")
    assert is_noncommercial("cc-by-nc-4.0") and is_noncommercial("CC-BY-NC-ND-3.0")
    assert is_noncommercial("Creative Commons Attribution-NonCommercial 4.0 International")
    assert is_noncommercial("Free for research only, no redistribution")
    assert is_noncommercial(CC_BY_NC_4) and is_noncommercial("deepfloyd-if-license")
    assert not is_noncommercial(GPL_3 + " occasionally and noncommercially")  # GPL text, not NC
    assert not is_noncommercial(UNLICENSE)  # says "commercial or non-commercial"
    assert not is_noncommercial("llama2") and is_use_restricted("llama2")
    assert is_use_restricted("bigscience-openrail-m") and not is_use_restricted("MIT")


PERMISSIVE = ["MIT", "Apache-2.0", "BSD-3-Clause", "ISC", "MPL-2.0", "CC-BY-4.0", "Zlib"]
COPYLEFT = ["GPL-2.0-only", "GPL-3.0-or-later", "LGPL-2.1-only", "AGPL-3.0-or-later",
            "SSPL-1.0", "EUPL-1.2", "GPL-2.0-or-later WITH Classpath-exception-2.0"]


def _expressions(pool: list[str]) -> st.SearchStrategy[list[str]]:
    return st.lists(st.sampled_from(pool), min_size=1, max_size=4)


@settings(max_examples=60, deadline=None)
@given(permissive=_expressions(PERMISSIVE), copyleft=st.lists(st.sampled_from(COPYLEFT),
                                                            max_size=2),
       ops=st.lists(st.sampled_from([" AND ", " OR ", " and ", " or "]), min_size=6,
                    max_size=6), seed=st.randoms(use_true_random=False))
def test_copyleft_iff_any_member_is(permissive: list[str], copyleft: list[str], ops: list[str],
                                    seed: object) -> None:
    members = permissive + copyleft
    seed.shuffle(members)  # type: ignore[attr-defined]
    expression = members[0] + "".join(op + m for op, m in zip(ops, members[1:], strict=False))
    normalised = normalise(expression)
    assert normalised is not None
    assert normalise(normalised) == normalised  # idempotent
    assert is_copyleft(expression) == bool(copyleft) == is_copyleft(normalised)
    assert is_noncommercial(expression) is False


@settings(max_examples=150, deadline=None)
@given(st.text(max_size=300))
def test_never_raises_on_arbitrary_input(text: str) -> None:
    result = normalise(text)
    assert result is None or normalise(result) == result
    identified = identify_license_text(text)
    assert identified is None or normalise(identified) == identified
    assert isinstance(is_copyleft(text), bool) and isinstance(is_noncommercial(text), bool)
