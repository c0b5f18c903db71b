"""Render the data model (``model.yaml``) as Markdown: ``docs/data-model.md`` is generated."""

from __future__ import annotations

from pathlib import Path

from cartrial.data.spec import data_model

INTRO = Path(__file__).with_name("data_model_intro.md")


def render_markdown() -> str:
    """The whole data-model document: the hand-written conventions, then generated tables."""
    m = data_model()
    lines = [INTRO.read_text(encoding="utf-8").rstrip(), "", "## Domains", ""]
    lines.append("Required domains: " + ", ".join(m.required_domains)
                 + ". Optional: " + ", ".join(m.optional_domains) + ".")
    lines.append("")
    for name, d in m.domains.items():
        lines += [f"### {name}: {d.label}", "", f"Key: {', '.join(d.key)}.", "",
                  "| variable | label | required | controlled terms |", "|---|---|---|---|"]
        for var, label in d.variables.items():
            req = "yes" if var in d.required else ""
            terms = ", ".join(f"`{t}`" for t in d.terms.get(var, ()) if t)
            if var in d.coded:
                terms = "coded, not enforced (define.xml lists the terms found)"
            elif var in d.dictionaries:
                terms = f"{d.dictionaries[var]} (external dictionary)"
            lines.append(f"| {var} | {label} | {req} | {terms} |")
        if d.population_terms:
            lines += ["", "Population from the PRIMARY DIAGNOSIS record (MHDECOD -> protocol "
                      "population): " + "; ".join(f"`{k}` -> {v}" for k, v in
                                                  d.population_terms.items()) + "."]
        lines.append("")
    lines += ["## Test codes, standard units and accepted units", "",
              "Results are converted into the standard unit (--STRESN/--STRESU); a unit not "
              "listed is reported (`UNIT_UNCONVERTIBLE`). Coded results must be one of the "
              "listed values. Ranges are physical plausibility limits in the standard unit "
              "(`OUT_OF_RANGE`).", ""]
    for dom, tests in m.tests.items():
        lines += [f"### {dom}", "", "| --TESTCD | --TEST | standard unit | accepted units | "
                  "values / range |", "|---|---|---|---|---|"]
        for code, t in tests.items():
            if t.unit_by_spec:
                std = "; ".join(f"{k}: {v}" for k, v in t.unit_by_spec.items())
                acc = "; ".join(f"{k}: {', '.join(v)}" for k, v in t.accept_by_spec.items())
            else:
                std, acc = t.unit or "", ", ".join(t.accept)
            if t.values:
                vr = ", ".join(f"`{v}`" for v in t.values)
            elif t.range:
                vr = f"[{t.range[0]:g}, {t.range[1]:g}]" + (" integer" if t.integer else "")
            else:
                vr = ""
            lines.append(f"| {code} | {t.test} | {std} | {acc} | {vr} |")
        lines.append("")
    return "\n".join(lines).rstrip() + "\n"


if __name__ == "__main__":  # python -m cartrial.data.docs > docs/data-model.md
    print(render_markdown(), end="")
