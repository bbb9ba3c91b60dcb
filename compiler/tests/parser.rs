//! The parser and the formatter: the trees they build from the examples,
//! one test per error code with the culprit's position, error recovery,
//! the canonical format, comments and blank lines.

use neurc_compiler::diagnostic::{Diagnostic, SourceMap};
use neurc_compiler::front::ast::{
    BinaryOp, ConnectSetting, Expr, ExprKind, ItemKind, ModelKind, Program, SectionKind, Slice,
    UnaryOp,
};
use neurc_compiler::front::{MAX_NESTING, format, parse};
use neurc_ir::FileId;

const CUBA: &str = "\
// Vogels & Abbott (2005) current-based benchmark network
neuron LifCuba {
    parameters { tau_m = 20 ms  tau_e = 5 ms  tau_i = 10 ms
                 v_th = -50 mV  v_reset = -60 mV  e_l = -49 mV }
    state      { v = uniform(-60 mV, -50 mV)  ge = 0 mV  gi = 0 mV }
    equations {
        dv/dt  = (ge + gi - (v - e_l)) / tau_m
        dge/dt = -ge / tau_e
        dgi/dt = -gi / tau_i
    }
    spike v > v_th
    reset { v = v_reset }
    refractory 5 ms
}

population exc = LifCuba[3200]
population inh = LifCuba[800]

connect exc -> exc, inh : bernoulli(p = 0.02) { weight = 1.62 mV -> ge }
connect inh -> exc, inh : bernoulli(p = 0.02) { weight = -9 mV -> gi }

record spikes(exc, inh)
record v(exc[0..10])

simulate { dt = 0.1 ms  duration = 1 s  seed = 1234 }
";

/// Every item kind of the language, as listed in the language brief.
const EVERY_ITEM: &str = r#"
const n = 100
import "relative/path.snn"
neuron Lif {
    parameters { tau = 10 ms }
    state { v = 0 mV }
    inputs { syn: mV  gain: 1 }
    equations { dv/dt = -v / tau }
    update { v = v + syn }
    spike v > 10 mV
    reset { v = 0 mV }
    refractory 2 ms hold v
    method rk4
}
plasticity Stdp {
    on_pre { x = x + 1 }
    on_post { w = w + x }
}
modulator dopamine { state { level = 0 } }
population exc = Lif[n] { positions = grid(10, 10) }
connect exc, exc[0..10] -> exc : bernoulli(p = 0.1) { weight = 1 mV -> v  delay = 1 ms  autapses = false }
record spikes(exc)
simulate { dt = 0.1 ms  duration = 1 s  seed = 1234 }
region cortex = WilsonCowan { tau = 10 ms }
connectome human { weights = "file.csv" }
couple exc -> cortex[3] : spikes_to_rate(tau = 10 ms)
"#;

/// Parses `source`, failing the test on any diagnostic.
fn parse_ok(source: &str) -> Program {
    let (program, diagnostics) = parse(source, FileId(0));
    assert!(
        diagnostics.is_empty(),
        "unexpected diagnostics for {source:?}: {diagnostics:#?}"
    );
    program
}

/// A diagnostic with where its culprit is.
struct Found {
    diagnostic: Diagnostic,
    line_col: (usize, usize),
    culprit: String,
}

/// Every diagnostic of `source`, checked for the shape every diagnostic
/// must have: a `neurc::parse::` code, a lower-case message without a
/// final period, a culprit label and a hint.
fn diagnostics(source: &str) -> Vec<Found> {
    let mut sources = SourceMap::default();
    let file = sources.add("test.snn", source);
    let (_, diagnostics) = parse(source, file);
    diagnostics
        .into_iter()
        .map(|diagnostic| {
            assert!(
                diagnostic.code.starts_with("neurc::parse::"),
                "{diagnostic:?}"
            );
            let first = diagnostic.message.chars().next().expect("a message");
            assert!(
                !first.is_uppercase() && !diagnostic.message.ends_with('.'),
                "{diagnostic:?}"
            );
            assert!(
                diagnostic.help.as_deref().is_some_and(|h| !h.is_empty()),
                "{diagnostic:?}"
            );
            let span = diagnostic.primary_span().expect("a culprit label");
            Found {
                line_col: sources.line_col(file, span.start),
                culprit: source[span.start as usize..span.end as usize].to_string(),
                diagnostic,
            }
        })
        .collect()
}

/// The only diagnostic of `source`, checked for its code and culprit.
fn single_error(source: &str, code: &str, line_col: (usize, usize), culprit: &str) -> Diagnostic {
    let mut found = diagnostics(source);
    assert_eq!(
        found.len(),
        1,
        "expected one diagnostic for {source:?}: {:#?}",
        found.iter().map(|f| &f.diagnostic).collect::<Vec<_>>()
    );
    let found = found.remove(0);
    assert_eq!(found.diagnostic.code, code, "{:#?}", found.diagnostic);
    assert_eq!(found.line_col, line_col, "{:#?}", found.diagnostic);
    assert_eq!(found.culprit, culprit, "{:#?}", found.diagnostic);
    found.diagnostic
}

/// An expression as an S-expression, to check the shape of a tree.
fn sexpr(e: &Expr) -> String {
    match &e.kind {
        ExprKind::Number { value, unit: None } => value.to_string(),
        ExprKind::Number {
            value,
            unit: Some(unit),
        } => {
            let factors: Vec<String> = unit
                .factors
                .iter()
                .map(|f| format!("{}^{}", f.symbol, f.power))
                .collect();
            format!("{value}[{}]", factors.join(" "))
        }
        ExprKind::Bool(b) => b.to_string(),
        ExprKind::Str(s) => format!("{s:?}"),
        ExprKind::Name(n) => n.clone(),
        ExprKind::Unary(UnaryOp::Neg, a) => format!("(neg {})", sexpr(a)),
        ExprKind::Unary(UnaryOp::Not, a) => format!("(not {})", sexpr(a)),
        ExprKind::Binary(op, a, b) => format!("({op:?} {} {})", sexpr(a), sexpr(b)),
        ExprKind::Call { func, args } => {
            let args: Vec<String> = args
                .iter()
                .map(|a| match &a.name {
                    Some(n) => format!("{}={}", n.name, sexpr(&a.value)),
                    None => sexpr(&a.value),
                })
                .collect();
            format!("{}({})", func.name, args.join(" "))
        }
        ExprKind::List(items) => format!(
            "[{}]",
            items.iter().map(sexpr).collect::<Vec<_>>().join(" ")
        ),
    }
}

/// The value of `const x = ...` in `source`, as an S-expression.
fn const_value(source: &str) -> String {
    let program = parse_ok(source);
    match &program.items[0].kind {
        ItemKind::Const(assign) => sexpr(&assign.value),
        other => panic!("not a const: {other:?}"),
    }
}

#[test]
fn the_cuba_example_parses_into_its_tree() {
    let program = parse_ok(CUBA);
    let kinds: Vec<&str> = program
        .items
        .iter()
        .map(|item| match &item.kind {
            ItemKind::Model(_) => "model",
            ItemKind::Population(_) => "population",
            ItemKind::Connect(_) => "connect",
            ItemKind::Record(_) => "record",
            ItemKind::Simulate(_) => "simulate",
            _ => "other",
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "model",
            "population",
            "population",
            "connect",
            "connect",
            "record",
            "record",
            "simulate"
        ]
    );
    assert_eq!(
        program.items[0].comments.leading,
        [" Vogels & Abbott (2005) current-based benchmark network"]
    );

    let ItemKind::Model(model) = &program.items[0].kind else {
        unreachable!()
    };
    assert_eq!(
        (model.kind, model.name.name.as_str()),
        (ModelKind::Neuron, "LifCuba")
    );
    let sections: Vec<&str> = model.sections.iter().map(|s| s.kind.keyword()).collect();
    assert_eq!(
        sections,
        [
            "parameters",
            "state",
            "equations",
            "spike",
            "reset",
            "refractory"
        ]
    );
    let SectionKind::Parameters(params) = &model.sections[0].kind else {
        unreachable!()
    };
    let names: Vec<&str> = params.iter().map(|p| p.name.name.as_str()).collect();
    assert_eq!(names, ["tau_m", "tau_e", "tau_i", "v_th", "v_reset", "e_l"]);
    assert_eq!(sexpr(&params[3].value), "(neg 50[mV^1])");
    let SectionKind::State(state) = &model.sections[1].kind else {
        unreachable!()
    };
    assert_eq!(
        sexpr(&state[0].value),
        "uniform((neg 60[mV^1]) (neg 50[mV^1]))"
    );
    let SectionKind::Equations(equations) = &model.sections[2].kind else {
        unreachable!()
    };
    let vars: Vec<&str> = equations.iter().map(|e| e.var.name.as_str()).collect();
    assert_eq!(vars, ["v", "ge", "gi"]);
    assert_eq!(
        sexpr(&equations[0].rhs),
        "(Div (Sub (Add ge gi) (Sub v e_l)) tau_m)"
    );
    assert_eq!(sexpr(&equations[1].rhs), "(Div (neg ge) tau_e)");
    let SectionKind::Spike(condition) = &model.sections[3].kind else {
        unreachable!()
    };
    assert_eq!(sexpr(condition), "(Gt v v_th)");
    let SectionKind::Refractory { period, hold } = &model.sections[5].kind else {
        unreachable!()
    };
    assert_eq!((sexpr(period).as_str(), hold.len()), ("5[ms^1]", 0));

    let ItemKind::Connect(connect) = &program.items[3].kind else {
        unreachable!()
    };
    let post: Vec<&str> = connect.post.iter().map(|p| p.name.name.as_str()).collect();
    assert_eq!(
        (connect.pre[0].name.name.as_str(), post),
        ("exc", vec!["exc", "inh"])
    );
    assert_eq!(connect.rule.name.name, "bernoulli");
    assert_eq!(
        connect.rule.args[0].name.as_ref().map(|n| n.name.as_str()),
        Some("p")
    );
    let ConnectSetting::Weight { value, target, .. } = &connect.settings[0] else {
        unreachable!()
    };
    assert_eq!(
        (sexpr(value).as_str(), target.name.as_str()),
        ("1.62[mV^1]", "ge")
    );

    let ItemKind::Record(record) = &program.items[6].kind else {
        unreachable!()
    };
    assert_eq!(record.what.name, "v");
    let Some(Slice::Range(start, end)) = &record.targets[0].slice else {
        unreachable!()
    };
    assert_eq!((sexpr(start).as_str(), sexpr(end).as_str()), ("0", "10"));

    let ItemKind::Simulate(settings) = &program.items[7].kind else {
        unreachable!()
    };
    let settings: Vec<String> = settings
        .iter()
        .map(|s| format!("{}={}", s.name.name, sexpr(&s.value)))
        .collect();
    assert_eq!(settings, ["dt=0.1[ms^1]", "duration=1[s^1]", "seed=1234"]);
}

#[test]
fn the_cuba_example_round_trips_through_the_formatter() {
    let program = parse_ok(CUBA);
    let formatted = format(&program);
    assert_eq!(parse_ok(&formatted), program);
    assert_eq!(format(&parse_ok(&formatted)), formatted);
}

#[test]
fn every_item_kind_parses() {
    let program = parse_ok(EVERY_ITEM);
    let kinds: Vec<String> = program
        .items
        .iter()
        .map(|item| match &item.kind {
            ItemKind::Const(a) => format!("const {}", a.name.name),
            ItemKind::Import(i) => format!("import {}", i.path),
            ItemKind::Model(m) => {
                format!("{} {} {}", m.kind.keyword(), m.name.name, m.sections.len())
            }
            ItemKind::Population(p) => format!(
                "population {} {} {}",
                p.name.name,
                p.model.name,
                p.body.len()
            ),
            ItemKind::Connect(c) => format!(
                "connect {} {} {}",
                c.pre.len(),
                c.post.len(),
                c.settings.len()
            ),
            ItemKind::Record(r) => format!("record {}", r.what.name),
            ItemKind::Simulate(s) => format!("simulate {}", s.len()),
            ItemKind::Region(r) => format!("region {} {}", r.name.name, r.model.name),
            ItemKind::Connectome(c) => format!("connectome {} {}", c.name.name, c.body.len()),
            ItemKind::Couple(c) => format!("couple {} {}", c.from.name.name, c.converter.name.name),
        })
        .collect();
    assert_eq!(
        kinds,
        [
            "const n",
            "import relative/path.snn",
            "neuron Lif 9",
            "plasticity Stdp 2",
            "modulator dopamine 1",
            "population exc Lif 1",
            "connect 2 1 3",
            "record spikes",
            "simulate 3",
            "region cortex WilsonCowan",
            "connectome human 1",
            "couple exc spikes_to_rate",
        ]
    );
    let ItemKind::Model(lif) = &program.items[2].kind else {
        unreachable!()
    };
    let SectionKind::Inputs(inputs) = &lif.sections[2].kind else {
        unreachable!()
    };
    assert_eq!(inputs[0].unit.factors[0].symbol, "mV");
    assert!(inputs[1].unit.factors.is_empty(), "`1` is dimensionless");
    let SectionKind::Refractory { hold, .. } = &lif.sections[7].kind else {
        unreachable!()
    };
    assert_eq!(hold[0].name, "v");
    let SectionKind::Method(method) = &lif.sections[8].kind else {
        unreachable!()
    };
    assert_eq!(method.name, "rk4");
    let ItemKind::Connect(connect) = &program.items[6].kind else {
        unreachable!()
    };
    assert!(matches!(&connect.settings[2], ConnectSetting::Assign(a) if a.name.name == "autapses"));
    assert_eq!(format(&parse_ok(&format(&program))), format(&program));
}

#[test]
fn operators_bind_by_precedence() {
    assert_eq!(const_value("const x = -a^2"), "(neg (Pow a 2))");
    assert_eq!(const_value("const x = a^-b^c"), "(Pow a (neg (Pow b c)))");
    assert_eq!(const_value("const x = a - b - c"), "(Sub (Sub a b) c)");
    assert_eq!(
        const_value("const x = a + b * c ^ d"),
        "(Add a (Mul b (Pow c d)))"
    );
    assert_eq!(
        const_value("const x = not a < b and c or d"),
        "(Or (And (not (Lt a b)) c) d)"
    );
    assert_eq!(
        const_value("const x = (a < b) == (c < d)"),
        "(Eq (Lt a b) (Lt c d))"
    );
    assert_eq!(
        const_value("const x = f(1, p = [2, 3], not q)"),
        "f(1 p=[2 3] (not q))"
    );
    assert_eq!(const_value("const x = --a"), "(neg (neg a))");
}

#[test]
fn units_are_greedy_only_over_unit_symbols() {
    assert_eq!(const_value("const x = 1 mV / tau"), "(Div 1[mV^1] tau)");
    assert_eq!(const_value("const x = 140 mV/ms"), "140[mV^1 ms^-1]");
    assert_eq!(const_value("const x = 2 ms^2"), "2[ms^2]");
    assert_eq!(const_value("const x = (2 ms)^2"), "(Pow 2[ms^1] 2)");
    assert_eq!(const_value("const x = 5 s^-1 * nS*mV"), "5[s^-1 nS^1 mV^1]");
    assert_eq!(const_value("const x = 20ms"), "20[ms^1]");
    assert_eq!(const_value("const x = ms"), "ms");
    assert_eq!(const_value("const x = 2 ms^y"), "(Pow 2[ms^1] y)");
}

#[test]
fn a_unit_symbol_that_starts_an_entry_is_a_name() {
    let program = parse_ok(
        "neuron A { parameters { tau = 5  m = 3  x = 5 m  s = 2 } inputs { a: 1  s: mV } }",
    );
    let ItemKind::Model(model) = &program.items[0].kind else {
        unreachable!()
    };
    let SectionKind::Parameters(params) = &model.sections[0].kind else {
        unreachable!()
    };
    let entries: Vec<String> = params
        .iter()
        .map(|p| format!("{}={}", p.name.name, sexpr(&p.value)))
        .collect();
    assert_eq!(entries, ["tau=5", "m=3", "x=5[m^1]", "s=2"]);
    let SectionKind::Inputs(inputs) = &model.sections[1].kind else {
        unreachable!()
    };
    assert_eq!(inputs.len(), 2);
    // Keywords are contextual: names anywhere else.
    parse_ok("population state = neuron[3] { record = 1  hold = 2 }\nrecord spikes(state)");
    parse_ok(
        "neuron A { refractory hold hold hold  spike spike > 1 equations { dv/dt = 1 / 5  dw/dt = 2 } }",
    );
}

#[test]
fn numbers_take_every_documented_form() {
    assert_eq!(const_value("const x = 10_000"), "10000");
    assert_eq!(const_value("const x = 1_000.5"), "1000.5");
    assert_eq!(const_value("const x = 2.5E+4"), "25000");
    assert_eq!(const_value("const x = 1e-3"), "0.001");
    let program = parse_ok("record v(p[0..10], q[1.5..2])");
    let ItemKind::Record(record) = &program.items[0].kind else {
        unreachable!()
    };
    assert!(matches!(record.targets[1].slice, Some(Slice::Range(..))));
}

#[test]
fn bad_number_literals_are_reported_whole() {
    let diagnostic = single_error(
        "const tau = 1.2.3 ms",
        "neurc::parse::bad_number",
        (1, 13),
        "1.2.3",
    );
    assert!(diagnostic.help.is_some_and(|h| h.contains("3.5")));
    for literal in ["1e", "1e+", "3.", "1__0", "10_", "12abc", ".5", "1e400"] {
        single_error(
            &format!("const x = {literal}\n"),
            "neurc::parse::bad_number",
            (1, 11),
            literal,
        );
    }
}

#[test]
fn a_block_never_closed_is_reported_at_its_brace() {
    let source =
        "neuron A {\n    parameters { a = 1\n    state { v = 0 }\n}\npopulation p = A[10]\n";
    let diagnostic = single_error(source, "neurc::parse::unterminated_block", (2, 16), "{");
    assert_eq!(diagnostic.labels[0].message, "this block is never closed");
    let (program, _) = parse(source, FileId(0));
    assert_eq!(
        program.items.len(),
        2,
        "parsing goes on after the unclosed block"
    );
    single_error(
        "simulate { dt = 1 ms",
        "neurc::parse::unterminated_block",
        (1, 10),
        "{",
    );
}

#[test]
fn an_unterminated_string_is_reported_at_its_quote() {
    single_error(
        "import \"models/lif.snn\nconst x = 1",
        "neurc::parse::unterminated_string",
        (1, 8),
        "\"",
    );
    single_error(
        "import \"a\\qb\"",
        "neurc::parse::bad_escape",
        (1, 10),
        "\\q",
    );
    let program = parse_ok(r#"const s = "say \"hi\" \\ bye""#);
    let ItemKind::Const(assign) = &program.items[0].kind else {
        unreachable!()
    };
    assert_eq!(
        assign.value.kind,
        ExprKind::Str(r#"say "hi" \ bye"#.to_string())
    );
}

#[test]
fn an_unexpected_token_says_what_was_expected() {
    let diagnostic = single_error(
        "neuron A {\n    parameters { tau 5 ms }\n}",
        "neurc::parse::unexpected_token",
        (2, 22),
        "5",
    );
    assert_eq!(diagnostic.message, "expected `=` after the parameter name");
    let diagnostic = single_error(
        "nueron A {}",
        "neurc::parse::unexpected_token",
        (1, 1),
        "nueron",
    );
    assert!(
        diagnostic
            .message
            .starts_with("expected an item: const, import, neuron"),
        "{}",
        diagnostic.message
    );
    assert_eq!(diagnostic.help.as_deref(), Some("did you mean `neuron`?"));
    single_error(
        "population p LifExp[3]",
        "neurc::parse::unexpected_token",
        (1, 14),
        "LifExp",
    );
    single_error(
        "const x = a < b < c",
        "neurc::parse::unexpected_token",
        (1, 17),
        "<",
    );
    single_error(
        "const x = 1 @",
        "neurc::parse::unexpected_token",
        (1, 13),
        "@",
    );
}

#[test]
fn an_unknown_unit_suggests_the_closest_symbol() {
    let diagnostic = single_error("const v = 5mv", "neurc::parse::unknown_unit", (1, 12), "mv");
    assert_eq!(
        diagnostic.help.as_deref(),
        Some("units are case-sensitive: did you mean `mV`?")
    );
    let diagnostic = single_error(
        "neuron A {\n    parameters { v = 5 mv }\n}",
        "neurc::parse::unknown_unit",
        (2, 24),
        "mv",
    );
    assert_eq!(
        diagnostic.help.as_deref(),
        Some("units are case-sensitive: did you mean `mV`?")
    );
    single_error(
        "neuron A { inputs { syn: mv } }",
        "neurc::parse::unknown_unit",
        (1, 26),
        "mv",
    );
    single_error(
        "const x = f(5 mx)",
        "neurc::parse::unknown_unit",
        (1, 15),
        "mx",
    );
}

#[test]
fn an_unknown_section_suggests_the_closest_keyword() {
    let diagnostic = single_error(
        "neuron A {\n    paramters { a = 1 }\n    spike a > 1\n}",
        "neurc::parse::unknown_section",
        (2, 5),
        "paramters",
    );
    assert!(
        diagnostic
            .help
            .is_some_and(|h| h.starts_with("did you mean `parameters`?"))
    );
    let (program, _) = parse(
        "neuron A {\n    paramters { a = 1 }\n    spike a > 1\n}",
        FileId(0),
    );
    let ItemKind::Model(model) = &program.items[0].kind else {
        unreachable!()
    };
    assert_eq!(
        model.sections.len(),
        1,
        "the section after the bad one is kept"
    );
}

#[test]
fn a_reserved_word_cannot_be_a_name() {
    single_error(
        "neuron A { parameters { and = 1 } }",
        "neurc::parse::reserved_word",
        (1, 25),
        "and",
    );
    single_error(
        "const not = 1",
        "neurc::parse::reserved_word",
        (1, 7),
        "not",
    );
    single_error(
        "neuron A { equations { dor/dt = 1 } }",
        "neurc::parse::reserved_word",
        (1, 25),
        "or",
    );
}

#[test]
fn an_equation_must_define_a_derivative() {
    let diagnostic = single_error(
        "neuron A { equations { v = -v } }",
        "neurc::parse::bad_equation",
        (1, 24),
        "v",
    );
    assert!(diagnostic.help.is_some_and(|h| h.contains("`dv/dt")));
    single_error(
        "neuron A { equations { dv/dx = 1 } }",
        "neurc::parse::bad_equation",
        (1, 27),
        "dx",
    );
    single_error(
        "neuron A { equations { d/dt = 1 } }",
        "neurc::parse::bad_equation",
        (1, 24),
        "d",
    );
}

#[test]
fn an_unclosed_parenthesis_is_reported_at_its_opening() {
    single_error(
        "const x = exp(1 + 2\nconst y = 3",
        "neurc::parse::unclosed_paren",
        (1, 14),
        "(",
    );
    single_error(
        "const x = (a + b\nconst y = 3",
        "neurc::parse::unclosed_paren",
        (1, 11),
        "(",
    );
    single_error(
        "const x = [1, 2",
        "neurc::parse::unclosed_paren",
        (1, 11),
        "[",
    );
}

#[test]
fn nesting_past_the_limit_is_an_error_not_a_crash() {
    let at_limit = format!(
        "const x = {}1{}",
        "(".repeat(MAX_NESTING),
        ")".repeat(MAX_NESTING)
    );
    parse_ok(&at_limit);
    let past = format!(
        "const x = {}1{}",
        "(".repeat(MAX_NESTING + 1),
        ")".repeat(MAX_NESTING + 1)
    );
    single_error(&past, "neurc::parse::too_deep", (1, 11 + MAX_NESTING), "(");
    for deep in [
        format!("const x = {}1", "-".repeat(100_000)),
        format!("const x = {}1", "not ".repeat(100_000)),
        format!("const x = {}1", "a^".repeat(100_000)),
        format!("const x = {}1", "a + ".repeat(100_000)),
        format!("const x = {}1", "f(".repeat(100_000)),
        format!("const x = {}1", "[".repeat(100_000)),
    ] {
        let found = diagnostics(&deep);
        assert_eq!(found[0].diagnostic.code, "neurc::parse::too_deep");
    }
}

#[test]
fn nesting_up_to_the_limit_fits_in_a_test_thread_stack() {
    let levels = MAX_NESTING;
    let half = MAX_NESTING / 2;
    for nested in [
        format!("const x = {}1{}", "(".repeat(levels), ")".repeat(levels)),
        format!(
            "const x = {}1{}",
            "f(a = ".repeat(levels),
            ")".repeat(levels)
        ),
        format!("const x = {}1{}", "[".repeat(levels), "]".repeat(levels)),
        format!("const x = {}1", "-".repeat(levels)),
        format!("const x = {}1", "a^".repeat(levels)),
        format!("const x = {}1", "a + ".repeat(levels)),
        format!(
            "const x = not {}1{}",
            "f(not ".repeat(half - 1),
            ")".repeat(half - 1)
        ),
        format!("const x = {}1{}", "-(".repeat(half), ")".repeat(half)),
    ] {
        let program = parse_ok(&nested);
        assert_eq!(parse_ok(&format(&program)), program);
    }
}

#[test]
fn every_independent_error_is_reported() {
    let source = "\
const a = 1.2.3
neuron A {
    paramters { x = 1 }
    spike x > 1
}
population p = A[10] { tau = 5 mv }
record spikes(p)
";
    let found = diagnostics(source);
    let codes: Vec<(&str, (usize, usize))> = found
        .iter()
        .map(|f| (f.diagnostic.code, f.line_col))
        .collect();
    assert_eq!(
        codes,
        [
            ("neurc::parse::bad_number", (1, 11)),
            ("neurc::parse::unknown_section", (3, 5)),
            ("neurc::parse::unknown_unit", (6, 32)),
        ]
    );
    let (program, _) = parse(source, FileId(0));
    assert_eq!(program.items.len(), 4, "every item is still in the tree");
}

#[test]
fn a_bad_item_is_skipped_to_the_next_item_line() {
    let source = "population p = = 3 {\n    neuron = 1\n}\nrecord (p)\nconst b = 2\n";
    let found = diagnostics(source);
    assert_eq!(
        found.len(),
        2,
        "{:#?}",
        found.iter().map(|f| &f.diagnostic).collect::<Vec<_>>()
    );
    let (program, _) = parse(source, FileId(0));
    assert!(
        matches!(&program.items[..], [item] if matches!(&item.kind, ItemKind::Const(a) if a.name.name == "b"))
    );
}

#[test]
fn messy_source_is_printed_in_canonical_form() {
    let messy = "neuron   Lif{parameters{tau=20ms v_th=-50 mV}state{v=0 mV}equations{dv/dt=-v/tau}spike v>v_th reset{v=0 mV}refractory 2ms}
population p=Lif[ 10 ]
population q = Lif[5]{tau=10 ms}
connect p->q:bernoulli(p=0.1){weight=1mV->v delay=1 ms}
record spikes(p,q)
record v(p[0..2])
simulate{dt=0.1ms duration=1s}
simulate {}
";
    let canonical = "\
neuron Lif {
    parameters {
        tau = 20 ms
        v_th = -50 mV
    }
    state {
        v = 0 mV
    }
    equations {
        dv/dt = -v / tau
    }
    spike v > v_th
    reset {
        v = 0 mV
    }
    refractory 2 ms
}

population p = Lif[10]

population q = Lif[5] {
    tau = 10 ms
}

connect p -> q : bernoulli(p = 0.1) {
    weight = 1 mV -> v
    delay = 1 ms
}

record spikes(p, q)
record v(p[0..2])

simulate {
    dt = 0.1 ms
    duration = 1 s
}

simulate {}
";
    assert_eq!(format(&parse_ok(messy)), canonical);
    assert_eq!(format(&parse_ok(canonical)), canonical);
}

#[test]
fn expressions_get_the_fewest_parentheses_that_keep_their_meaning() {
    let cases = [
        ("((x+y))*z", "(x + y) * z"),
        ("-(a^2)", "-a^2"),
        ("(-a)^2", "(-a)^2"),
        ("a^(-b)", "a^-b"),
        ("(a^b)^c", "(a^b)^c"),
        ("a^(b^c)", "a^b^c"),
        ("a-(b-c)", "a - (b - c)"),
        ("(a-b)-c", "a - b - c"),
        ("not (a<b)", "not a < b"),
        ("(not a)<b", "(not a) < b"),
        ("(a<b)==c", "(a < b) == c"),
        ("-(not a)", "-(not a)"),
        ("a and (b or c)", "a and (b or c)"),
        ("(2 ms)^2", "(2 ms)^2"),
        ("2 ms^2", "2 ms^2"),
        ("(1 mV)/ms", "(1 mV) / ms"),
        ("(1 mV)/ms^2", "(1 mV) / ms^2"),
        ("(-5 ms)/ms", "(-5 ms) / ms"),
        ("(a^2 ms)*mV", "(a^2 ms) * mV"),
        ("1 mV/tau", "1 mV / tau"),
        ("x/(1 mV)", "x / (1 mV)"),
        ("x / 1 mV", "x / (1 mV)"),
        ("x/(1 mV)*ms", "x / (1 mV) * ms"),
        ("(x/1 mV)*ms", "x / (1 mV) * ms"),
        ("(1 mV)/(2 ms)", "1 mV / (2 ms)"),
        ("x/(140 mV/ms)", "x / (140 mV/ms)"),
        ("x/(2 ms)^2", "x / (2 ms)^2"),
        ("x/-1 mV", "x / -1 mV"),
        ("x*(1 mV)", "x * 1 mV"),
        ("140 mV/ms", "140 mV/ms"),
        ("5 s^-1", "5 s^-1"),
        ("0.5 nS*mV/ms^2", "0.5 nS*mV/ms^2"),
        ("f( a , b=[ 1,2 ] )", "f(a, b = [1, 2])"),
        ("1e20", "1e20"),
        ("0.00001", "1e-5"),
        ("0.0001", "0.0001"),
        ("123456789012345", "123456789012345"),
        ("1234567890123456", "1.234567890123456e15"),
        ("10_000", "10000"),
        ("2.5E+4", "25000"),
        ("0.1", "0.1"),
    ];
    for (written, canonical) in cases {
        let formatted = format(&parse_ok(&format!("const x = {written}")));
        assert_eq!(
            formatted,
            format!("const x = {canonical}\n"),
            "formatting `{written}`"
        );
        assert_eq!(
            parse_ok(&formatted),
            parse_ok(&format!("const x = {written}")),
            "`{written}` keeps its meaning"
        );
    }
}

#[test]
fn comments_are_kept_where_they_were_written() {
    let source = "\
// model
neuron A { // after brace
    // before params
    parameters {
        a = 1 // trailing a
        // before b
        b = 2 +  // inside an expression
            3
        // dangling at the end of a block
    }
    spike a > b // trailing spike
} // after the model
const c = 1 //no space
// at the end
";
    let program = parse_ok(source);
    assert_eq!(program.items[0].comments.leading, [" model"]);
    assert_eq!(
        program.items[0].comments.trailing.as_deref(),
        Some(" after the model")
    );
    let ItemKind::Model(model) = &program.items[0].kind else {
        unreachable!()
    };
    assert_eq!(
        model.sections[0].comments.leading,
        [" after brace", " before params"]
    );
    let SectionKind::Parameters(params) = &model.sections[0].kind else {
        unreachable!()
    };
    assert_eq!(params[0].comments.trailing.as_deref(), Some(" trailing a"));
    assert_eq!(params[1].comments.leading, [" before b"]);
    assert_eq!(
        model.sections[1].comments.leading,
        [" inside an expression", " dangling at the end of a block"]
    );
    assert_eq!(
        model.sections[1].comments.trailing.as_deref(),
        Some(" trailing spike")
    );
    assert_eq!(
        program.items[1].comments.trailing.as_deref(),
        Some("no space")
    );
    assert_eq!(program.trailing_comments, [" at the end"]);

    let canonical = "\
// model
neuron A {
    // after brace
    // before params
    parameters {
        a = 1  // trailing a
        // before b
        b = 2 + 3
    }
    // inside an expression
    // dangling at the end of a block
    spike a > b  // trailing spike
}  // after the model

const c = 1  //no space

// at the end
";
    assert_eq!(format(&program), canonical);
    assert_eq!(parse_ok(canonical), program);
}

#[test]
fn carriage_returns_are_whitespace() {
    let program = parse_ok("const a = 1 // one\r\nconst b = 2\r\n");
    assert_eq!(program.items[0].comments.trailing.as_deref(), Some(" one"));
    assert_eq!(format(&program), "const a = 1  // one\nconst b = 2\n");
}

#[test]
fn operators_keep_their_spans() {
    let source = "const x = a + b * c";
    let program = parse_ok(source);
    let ItemKind::Const(assign) = &program.items[0].kind else {
        unreachable!()
    };
    let ExprKind::Binary(BinaryOp::Add, _, product) = &assign.value.kind else {
        unreachable!()
    };
    let span = product.loc.0;
    assert_eq!(&source[span.start as usize..span.end as usize], "b * c");
    assert_eq!(
        (program.items[0].loc.0.start, program.items[0].loc.0.end),
        (0, 19)
    );
}

/// Checks that `source` formats to `canonical`, that `canonical` is a
/// fixed point of the formatter, and that both parse to the same tree
/// (blank lines included).
fn assert_formats(source: &str, canonical: &str) {
    let program = parse_ok(source);
    assert_eq!(format(&program), canonical, "formatting {source:?}");
    assert_eq!(format(&parse_ok(canonical)), canonical, "formatting again");
    assert_eq!(parse_ok(canonical), program, "{source:?} and {canonical:?}");
}

/// The `blank_line_before` flags of the items of `source`.
fn item_blank_lines(source: &str) -> Vec<bool> {
    let program = parse_ok(source);
    program
        .items
        .iter()
        .map(|item| item.comments.blank_line_before)
        .collect()
}

#[test]
fn blank_lines_between_grouped_items_are_kept() {
    let source = "\
const NE = 10000
const NI = 2500

const tau = 20 ms
const theta = 20 mV
";
    assert_formats(source, source);
    assert_eq!(item_blank_lines(source), [false, false, true, false]);
    let records = "record spikes(a)\n\nrecord v(a)\nrecord v(b)\n";
    assert_formats(records, records);
}

#[test]
fn several_blank_lines_collapse_to_one() {
    assert_formats(
        "const a = 1\n\n\n\nconst b = 2\n \n\t\n\nconst c = 3\n",
        "const a = 1\n\nconst b = 2\n\nconst c = 3\n",
    );
    assert_formats(
        "simulate {\n    dt = 1 ms\n\n\n    duration = 1 s\n}\n",
        "simulate {\n    dt = 1 ms\n\n    duration = 1 s\n}\n",
    );
    assert_formats(
        "const a = 1\r\n\r\n\r\nconst b = 2\r\n",
        "const a = 1\n\nconst b = 2\n",
    );
}

#[test]
fn blank_lines_are_kept_between_the_entries_of_every_block() {
    let source = "\
neuron A {
    parameters {
        a = 1

        b = 2
    }

    state {
        v = 0 mV
    }
    inputs {
        x: mV

        y: 1
    }
    equations {
        dv/dt = -v / a

        dw/dt = 0
    }

    spike v > b
}

population p = A[1] {
    a = 2

    b = 3
}

connect p -> p : all_to_all() {
    weight = 1 mV -> v

    delay = 1 ms
}

region r = M {
    a = 1

    b = 2
}

connectome c {
    weights = \"w.csv\"

    lengths = \"l.csv\"
}
";
    assert_formats(source, source);
    let program = parse_ok(source);
    let ItemKind::Model(model) = &program.items[0].kind else {
        unreachable!()
    };
    let sections: Vec<bool> = model
        .sections
        .iter()
        .map(|section| section.comments.blank_line_before)
        .collect();
    assert_eq!(sections, [false, true, false, false, true]);
    let SectionKind::Parameters(parameters) = &model.sections[0].kind else {
        unreachable!()
    };
    assert!(!parameters[0].comments.blank_line_before);
    assert!(parameters[1].comments.blank_line_before);
}

#[test]
fn blank_lines_after_an_opening_or_before_a_closing_brace_are_removed() {
    let source = "\n\n\nneuron A {

    parameters {

        a = 1

    }

    spike a > 1

}

population p = A[1] {

    a = 2

}
simulate {


    dt = 1 ms


}


";
    let canonical = "\
neuron A {
    parameters {
        a = 1
    }

    spike a > 1
}

population p = A[1] {
    a = 2
}

simulate {
    dt = 1 ms
}
";
    assert_formats(source, canonical);
    assert_eq!(item_blank_lines(source), [false, true, true]);
}

#[test]
fn a_blank_line_before_comments_stays_before_them() {
    let source = "\
const a = 1  // one

// about b
// and more
const b = 2

neuron A {
    parameters {
        a = 1

        // about b
        b = 2
    }

    // the spike
    spike a > 1
}
";
    assert_formats(source, source);
    let program = parse_ok(source);
    assert!(program.items[1].comments.blank_line_before);
    assert_eq!(program.items[1].comments.leading, [" about b", " and more"]);
    // A blank line between a node's comments and the node goes: the
    // comments stay with the node.
    assert_formats(
        "const a = 1\n// about b\n\nconst b = 2\n",
        "const a = 1\n// about b\nconst b = 2\n",
    );
    // Comments before a closing brace go to the next node, with the blank
    // line before them.
    assert_formats(
        "simulate {\n    dt = 1 ms\n\n    // last\n}\n",
        "simulate {\n    dt = 1 ms\n}\n\n// last\n",
    );
    assert_formats(
        "neuron A {\n    parameters {\n        a = 1\n\n        // gone to spike\n    }\n    spike a > 1\n}\n",
        "neuron A {\n    parameters {\n        a = 1\n    }\n\n    // gone to spike\n    spike a > 1\n}\n",
    );
}

#[test]
fn the_first_item_and_the_first_entry_never_have_a_blank_line_before() {
    let source = "\n\n// header\n\nconst a = 1\nsimulate {\n\n    // first\n    dt = 1 ms\n}\n";
    let program = parse_ok(source);
    assert!(!program.items[0].comments.blank_line_before);
    let ItemKind::Simulate(settings) = &program.items[1].kind else {
        unreachable!()
    };
    assert!(!settings[0].comments.blank_line_before);
    assert_formats(
        source,
        "// header\nconst a = 1\n\nsimulate {\n    // first\n    dt = 1 ms\n}\n",
    );
}

#[test]
fn a_blank_line_the_format_requires_is_reported_whether_written_or_not() {
    // Items of different kinds are always set apart, so the tree says so
    // even where the source had no blank line: formatting adds it, and
    // parsing the result gives the same tree.
    let source =
        "const a = 1\nrecord spikes(p)\npopulation p = A[1] {\n    a = 1\n}\npopulation q = A[1]\n";
    assert_eq!(item_blank_lines(source), [false, true, true, true]);
    assert_formats(
        source,
        "const a = 1\n\nrecord spikes(p)\n\npopulation p = A[1] {\n    a = 1\n}\n\npopulation q = A[1]\n",
    );
}

#[test]
fn the_examples_keep_their_paragraphs() {
    for path in ["../examples/cuba.snn", "../examples/brunel.snn"] {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(path);
        let source = std::fs::read_to_string(&path).expect("example");
        assert_formats(&source, &source);
    }
}
