"""Every written chapter ends with exercises a student can check: at least three, each with a
solution, and at least one auto-checked by ``bnx.exercises.check``.

A chapter still being written says "It is being written." and is skipped until it is replaced.
"""
import pathlib
import re

import pytest

import bnexplained as bnx

ROOT = pathlib.Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "book").glob("[0-9][0-9]-*.md"))
STUB = "It is being written."

FENCE = r"(?P<fence>`{3,}|:{3,})"
EXERCISE = re.compile(FENCE + r"\{exercise-start\}[^\n]*\n(?P<opts>(?::[^\n]*\n)*)(?P=fence)?(?P<body>.*?)"
                      r"(?:`{3,}|:{3,})\{exercise-end\}", re.S)
PLAIN_EXERCISE = re.compile(FENCE + r"\{exercise\}[^\n]*\n(?P<opts>(?::[^\n]*\n)*)(?P<body>.*?)\n(?P=fence)\s*\n",
                            re.S)
SOLUTION = re.compile(r"(?:`{3,}|:{3,})\{solution(?:-start)?\}\s+(\S+)")
CHECK_CALL = re.compile(r"bnx\.exercises\.check\(\s*[\"']([^\"']+)[\"']")


def exercises(text: str) -> list:
    """``(label, body)`` of every sphinx-exercise exercise in a chapter's MyST source."""
    found = []
    for m in list(EXERCISE.finditer(text)) + list(PLAIN_EXERCISE.finditer(text)):
        label = re.search(r":label:\s*(\S+)", m.group("opts"))
        found.append((label.group(1) if label else None, m.group("body")))
    return found


def chapter_number(md: pathlib.Path) -> int:
    return int(md.name[:2])


@pytest.mark.parametrize("md", CHAPTERS, ids=lambda p: p.name)
def test_chapter_has_three_exercises_with_solutions_one_auto_checked(md):
    text = md.read_text()
    if STUB in text:
        pytest.skip(f"{md.name} is a stub")
    found = exercises(text)
    assert len(found) >= 3, f"{md.name} has {len(found)} exercises; a chapter needs at least three"
    labels = [label for label, _ in found]
    assert None not in labels, f"{md.name}: every exercise needs a :label: (its solution refers to it)"
    solved = set(SOLUTION.findall(text))
    assert not set(labels) - solved, f"{md.name}: exercises without a solution: {sorted(set(labels) - solved)}"
    checked = [label for label, body in found if CHECK_CALL.search(body)]
    assert checked, f"{md.name}: no exercise shows bnx.exercises.check(...) for the student to run"


@pytest.mark.parametrize("md", CHAPTERS, ids=lambda p: p.name)
def test_every_checked_key_is_registered_for_its_own_chapter(md):
    keys = set(CHECK_CALL.findall(md.read_text()))
    assert not keys - set(bnx.exercises.keys()), f"{md.name} checks unregistered exercises {keys - set(bnx.exercises.keys())}"
    for key in keys:
        assert re.fullmatch(rf"ch{chapter_number(md)}-ex\d+[a-z]?", key), f"{md.name}: key {key!r} names another chapter"


def test_every_registered_exercise_is_used_by_its_chapter():
    text = {chapter_number(md): md.read_text() for md in CHAPTERS}
    for key in bnx.exercises.keys():
        if key.startswith("lab"):
            continue                      # the labs' keys: test_every_lab_check_is_used_by_its_lab
        chapter = int(re.match(r"ch(\d+)-", key).group(1))
        if STUB in text.get(chapter, ""):
            continue                      # the library may register a chapter's exercises before it is written
        assert f'"{key}"' in text.get(chapter, "") or f"'{key}'" in text.get(chapter, ""), \
            f"exercise {key} is registered but chapter {chapter} never shows bnx.exercises.check({key!r}, ...)"


def test_the_exercise_parser_sees_what_it_should():
    sample = """
```{exercise-start}
:label: ch9-ex1
```
Compute it and run `bnx.exercises.check("ch9-ex1", answer)`.
```{exercise-end}
```

```{solution-start} ch9-ex1
:class: dropdown
```
Done.
```{solution-end}
```

:::{exercise}
:label: ch9-ex2
Think.
:::

"""
    found = exercises(sample)
    assert [label for label, _ in found] == ["ch9-ex1", "ch9-ex2"]
    assert CHECK_CALL.search(found[0][1]) and not CHECK_CALL.search(found[1][1])
    assert SOLUTION.findall(sample) == ["ch9-ex1"]


def test_every_lab_check_is_used_by_its_lab():
    labs = {int(p.name[3]): p.read_text() for p in (ROOT / "book").glob("lab[0-9]-*.md")}
    assert sorted(labs) == [1, 2, 3]
    for key in bnx.exercises.keys():
        if key.startswith("lab"):
            assert f'"{key}"' in labs[int(key[3])], f"{key} is registered but lab {key[3]} never checks it"
    for n, text in labs.items():
        assert CHECK_CALL.search(text) and "## Rubric" in text, f"lab {n} needs a check and a rubric"
