"""Pure text -> typed result parsers for the output of the vendor tools hil drives.

One module per tool; each public `parse_*` function takes the tool's text and returns a pydantic model
whose `model_dump(mode="json")` is the normalized JSON `hil parse KIND FILE --json` prints. Text a parser
does not recognise raises `hil.errors.ParseError`; a parser never returns a half-filled result.
`hil.parsers.detect` maps the KIND names to the parsers and guesses a KIND for `auto`.
"""

from hil.parsers.detect import KINDS, PARSERS, detect_kind, parse

__all__ = ["KINDS", "PARSERS", "detect_kind", "parse"]
