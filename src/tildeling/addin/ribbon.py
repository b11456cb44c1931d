"""Structural check of the ribbon definition (``addin/customUI14.xml``).

No XSD of the Office custom UI schema ships with Python or LibreOffice, and the
check must run offline, so this module encodes the part of the schema that the
add-in uses (``customUI > ribbon > tabs > tab > group > button | separator``):
allowed elements and attributes, required identifiers, value types and length
limits, and unique ids. Anything outside that subset is reported rather than
silently accepted; extend :data:`SCHEMA` when the ribbon grows.

On top of the schema there are the project's own rules (:func:`check_policy`):
each button has a Danish label, a screentip, a supertip and a built-in icon;
buttons that use the generic callback name a Python macro in their ``tag``;
every callback exists in the VBA with the ribbon signature.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from typing import Iterable, Mapping

__all__ = [
    "NAMESPACES",
    "DISPATCHER",
    "Button",
    "parse",
    "buttons",
    "check_schema",
    "check_policy",
    "vba_callbacks",
    "check",
]

#: Custom UI namespaces Office accepts: 2009/07 (Office 2010+, customUI14.xml)
#: and 2006/01 (Office 2007, customUI.xml).
NAMESPACES = (
    "http://schemas.microsoft.com/office/2009/07/customui",
    "http://schemas.microsoft.com/office/2006/01/customui",
)

#: The generic callback: runs the Python macro named by the button's tag.
DISPATCHER = "Tildeling.RunMacro"

_ID = ("id", "idQ", "idMso")
_INSERT = ("insertAfterMso", "insertBeforeMso", "insertAfterQ", "insertBeforeQ")
_VISIBLE = ("visible", "getVisible")
_TEXTS = ("label", "getLabel", "screentip", "getScreentip", "supertip", "getSupertip",
          "keytip", "getKeytip")
_IMAGE = ("image", "imageMso", "getImage")


@dataclass(frozen=True)
class _Element:
    children: frozenset[str]
    attributes: frozenset[str]
    #: one of these identifies the element (empty: no identifier required)
    identified_by: tuple[str, ...] = ()


def _el(children: Iterable[str], attributes: Iterable[str], identified_by=()) -> _Element:
    return _Element(frozenset(children), frozenset(attributes), tuple(identified_by))


#: The subset of the custom UI schema this add-in uses (CT_CustomUI, CT_Ribbon,
#: CT_Tabs, CT_Tab, CT_Group, CT_Button in a group, CT_Separator).
SCHEMA: Mapping[str, _Element] = {
    "customUI": _el(["ribbon"], ["onLoad", "loadImage"]),
    "ribbon": _el(["tabs"], ["startFromScratch"]),
    "tabs": _el(["tab"], []),
    "tab": _el(["group"], [*_ID, "tag", "label", "getLabel", "keytip", "getKeytip",
                           *_VISIBLE, *_INSERT], _ID),
    "group": _el(["button", "separator"],
                 [*_ID, "tag", *_TEXTS, *_IMAGE, *_VISIBLE, *_INSERT, "autoScale",
                  "centerVertically"], _ID),
    "button": _el([], [*_ID, "tag", *_TEXTS, *_IMAGE, *_VISIBLE, *_INSERT, "onAction",
                       "enabled", "getEnabled", "size", "getSize", "showLabel",
                       "getShowLabel", "showImage", "getShowImage"], _ID),
    "separator": _el([], ["id", "idQ", "tag", *_VISIBLE, *_INSERT]),
}

_BOOLEANS = {"visible", "enabled", "showLabel", "showImage", "startFromScratch",
             "autoScale", "centerVertically"}
_ENUMS = {"size": {"normal", "large"}}
# ST_String and ST_Delegate: 1 to 1024 characters; ST_Keytip: 1 to 3.
_MAX_LENGTH = {"keytip": 3}
_ID_PATTERN = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*$")
_QUALIFIED_ID = re.compile(r"^[A-Za-z_][A-Za-z0-9_.\-]*:[A-Za-z_][A-Za-z0-9_.\-]*$")


@dataclass(frozen=True)
class Button:
    """A ribbon button, as the tests and the build read it."""

    id: str
    group: str
    tag: str | None
    on_action: str | None
    label: str | None
    screentip: str | None
    supertip: str | None
    image_mso: str | None


def parse(xml: bytes | str) -> ET.Element:
    """Parse the custom UI XML; raise :class:`xml.etree.ElementTree.ParseError` if malformed."""
    return ET.fromstring(xml)


def _split(tag: str) -> tuple[str, str]:
    if tag.startswith("{"):
        ns, _, local = tag[1:].partition("}")
        return ns, local
    return "", tag


def check_schema(root: ET.Element) -> list[str]:
    """Problems against the custom UI schema subset in :data:`SCHEMA`; empty means OK."""
    problems: list[str] = []
    ns, local = _split(root.tag)
    if ns not in NAMESPACES:
        problems.append(f"root namespace {ns!r} is not a custom UI namespace {NAMESPACES}")
    if local != "customUI":
        problems.append(f"root element is <{local}>, expected <customUI>")
        return problems
    seen_ids: dict[str, str] = {}

    def visit(element: ET.Element, path: str) -> None:
        el_ns, name = _split(element.tag)
        where = f"{path}/{name}"
        if el_ns != ns:
            problems.append(f"{where}: element in namespace {el_ns!r}, expected {ns!r}")
        spec = SCHEMA.get(name)
        if spec is None:
            problems.append(f"{where}: element <{name}> is not allowed here (or not covered by this check)")
            return
        ident = element.get("id") or element.get("idQ") or element.get("idMso")
        if ident:
            where = f"{where}[{ident}]"
        for attr, value in element.attrib.items():
            if attr.startswith("{"):
                problems.append(f"{where}: namespaced attribute {attr!r} is not allowed")
                continue
            if attr not in spec.attributes:
                problems.append(f"{where}: attribute {attr!r} is not allowed on <{name}>")
                continue
            if attr in _BOOLEANS and value not in {"true", "false", "1", "0"}:
                problems.append(f"{where}: {attr}={value!r} is not a boolean")
            if attr in _ENUMS and value not in _ENUMS[attr]:
                problems.append(f"{where}: {attr}={value!r} is not one of {sorted(_ENUMS[attr])}")
            if not 1 <= len(value) <= _MAX_LENGTH.get(attr, 1024):
                problems.append(f"{where}: {attr} must be 1 to {_MAX_LENGTH.get(attr, 1024)} characters")
        if spec.identified_by:
            given = [a for a in spec.identified_by if a in element.attrib]
            if len(given) != 1:
                problems.append(f"{where}: needs exactly one of {', '.join(spec.identified_by)}")
        if "id" in element.attrib:
            value = element.get("id", "")
            if not _ID_PATTERN.match(value):
                problems.append(f"{where}: id {value!r} is not a valid identifier")
            elif value in seen_ids:
                problems.append(f"{where}: id {value!r} is used twice (also at {seen_ids[value]})")
            else:
                seen_ids[value] = where
        if "idQ" in element.attrib and not _QUALIFIED_ID.match(element.get("idQ", "")):
            problems.append(f"{where}: idQ {element.get('idQ')!r} is not a qualified id")
        if (element.text or "").strip():
            problems.append(f"{where}: text content is not allowed")
        for child in element:
            child_name = _split(child.tag)[1]
            if child_name not in spec.children:
                problems.append(f"{where}: <{child_name}> is not allowed inside <{name}>")
                continue
            visit(child, where)

    visit(root, "")
    return problems


def buttons(root: ET.Element) -> list[Button]:
    """Every ``<button>`` of the ribbon, in document order."""
    found = []
    for group in root.iter():
        if _split(group.tag)[1] != "group":
            continue
        for el in group:
            if _split(el.tag)[1] == "button":
                found.append(Button(
                    id=el.get("id", ""), group=group.get("id", ""), tag=el.get("tag"),
                    on_action=el.get("onAction"), label=el.get("label"),
                    screentip=el.get("screentip"), supertip=el.get("supertip"),
                    image_mso=el.get("imageMso"),
                ))
    return found


_CALLBACK = re.compile(
    r"^[ \t]*(?P<scope>Public\s+|Private\s+|Friend\s+)?Sub\s+(?P<name>\w+)\s*"
    r"\(\s*(?:ByRef\s+|ByVal\s+)?\w+\s+As\s+IRibbonControl\s*\)",
    re.IGNORECASE | re.MULTILINE,
)


def vba_callbacks(modules: Mapping[str, str]) -> set[str]:
    """``"Module.Sub"`` for every public ``Sub X(control As IRibbonControl)`` in the VBA."""
    found = set()
    for module, source in modules.items():
        for m in _CALLBACK.finditer(source):
            if (m.group("scope") or "").strip().lower() != "private":
                found.add(f"{module}.{m.group('name')}")
    return found


def _callback_names(root: ET.Element) -> list[tuple[str, str]]:
    """(where, callback) for every callback attribute (onAction, onLoad, get*)."""
    names = []
    for el in root.iter():
        for attr, value in el.attrib.items():
            if attr.startswith(("on", "get")) or attr == "loadImage":
                names.append((f"<{_split(el.tag)[1]} {el.get('id', '')}> {attr}", value))
    return names


def check_policy(root: ET.Element, modules: Mapping[str, str],
                 macros: Iterable[str]) -> list[str]:
    """The project's own rules; empty means OK.

    Parameters
    ----------
    root : Element
        The parsed custom UI.
    modules : mapping of str to str
        VBA module name to source.
    macros : iterable of str
        The Python macros the ribbon may call (``RIBBON_MACROS``).
    """
    problems: list[str] = []
    macros = set(macros)
    callbacks = vba_callbacks(modules)
    for where, name in _callback_names(root):
        if name not in callbacks:
            problems.append(f"{where}: callback {name!r} is not a public "
                            f"Sub {name.rpartition('.')[2]}(control As IRibbonControl) in the VBA")
        elif "." not in name:
            problems.append(f"{where}: callback {name!r} should be qualified as Module.Sub")
    used = set()
    for b in buttons(root):
        for field in ("label", "screentip", "supertip", "image_mso", "on_action"):
            if not getattr(b, field):
                problems.append(f"button {b.id!r}: missing {field}")
        if b.on_action == DISPATCHER:
            if b.tag not in macros:
                problems.append(f"button {b.id!r}: tag {b.tag!r} is not in RIBBON_MACROS")
            elif b.tag in used:
                problems.append(f"button {b.id!r}: macro {b.tag!r} has two buttons")
            used.add(b.tag)
    for name in sorted(macros - used):
        problems.append(f"macro {name!r} in RIBBON_MACROS has no button")
    return problems


def check(xml: bytes | str, modules: Mapping[str, str], macros: Iterable[str]) -> list[str]:
    """Schema and policy problems of a custom UI document; empty means OK."""
    try:
        root = parse(xml)
    except ET.ParseError as exc:
        return [f"custom UI is not well-formed XML: {exc}"]
    return check_schema(root) + check_policy(root, modules, macros)
