//! Properties of the parser and the formatter over generated input:
//! formatting any tree the parser can produce and parsing the text gives
//! the tree back, blank lines included, and the text never holds a blank
//! line where the canonical format has none; the parser never panics, on random text, random bytes or
//! valid programs with random edits; and whatever parses without errors
//! formats to text that parses back to the same tree.

use neurc_compiler::front::ast::{
    Arg, Assign, BinaryOp, CallSpec, Comments, ConnectDecl, ConnectSetting, ConnectomeDecl,
    CoupleDecl, Equation, Expr, ExprKind, Ident, Import, InputDecl, Item, ItemKind, Loc, ModelDecl,
    ModelKind, PopRef, PopulationDecl, Program, RecordDecl, RegionDecl, Section, SectionKind,
    Slice, UnaryOp, UnitExpr, UnitFactor,
};
use neurc_compiler::front::{format, parse};
use neurc_ir::FileId;
use neurc_ir::units::UNITS;
use proptest::collection::vec;
use proptest::option;
use proptest::prelude::*;
use proptest::sample::{Index, select};

/// Names, including the ones most likely to confuse a parser: unit
/// symbols, keywords (which are contextual), and `d`-prefixed names.
fn name() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => "[a-zA-Z_][a-zA-Z0-9_]{0,5}".prop_filter("reserved words are not names", |s| {
            !["true", "false", "and", "or", "not"].contains(&s.as_str())
        }),
        1 => select(vec![
            "m", "s", "ms", "mV", "A", "S", "hold", "state", "spike", "neuron", "record", "weight",
            "dt", "d", "t", "dv", "e", "E", "inf", "NaN",
        ])
        .prop_map(str::to_string),
    ]
}

fn ident() -> impl Strategy<Value = Ident> {
    name().prop_map(|name| Ident {
        name,
        loc: Loc::default(),
    })
}

/// Comment text: anything on one line. (The parser drops a final carriage
/// return, so none is generated.)
fn comment_text() -> impl Strategy<Value = String> {
    "[^\n\r]{0,12}"
}

/// Comments and a blank line before, anywhere: [`canonical_blank_lines`]
/// then fixes the flag where the format decides it.
fn comments() -> impl Strategy<Value = Comments> {
    (
        vec(comment_text(), 0..3),
        option::of(comment_text()),
        any::<bool>(),
    )
        .prop_map(|(leading, trailing, blank_line_before)| Comments {
            leading,
            trailing,
            blank_line_before,
        })
}

/// Non-negative finite numbers (a literal has no sign), over every
/// magnitude: integers, fractions, the extremes and the switch points of
/// the printed form.
fn number() -> impl Strategy<Value = f64> {
    prop_oneof![
        (0u32..100_000).prop_map(f64::from),
        0.0f64..1000.0,
        any::<f64>()
            .prop_map(f64::abs)
            .prop_filter("finite", |x| x.is_finite()),
        select(vec![
            5e-324,
            2.2250738585072014e-308,
            f64::MAX,
            1e15,
            999_999_999_999_999.9,
            1e-4,
            9.999_999_999_999_999e-5,
            0.1,
            1e22
        ]),
    ]
}

fn unit_expr(min_factors: usize) -> impl Strategy<Value = UnitExpr> {
    let power = prop_oneof![4 => Just(1), 4 => -3i32..4, 1 => any::<i32>()];
    let factor = (
        select(UNITS.iter().map(|u| u.symbol).collect::<Vec<_>>()),
        power,
    )
        .prop_map(|(symbol, power)| UnitFactor {
            symbol: symbol.to_string(),
            power,
        });
    vec(factor, min_factors..3).prop_map(|factors| UnitExpr {
        factors,
        loc: Loc::default(),
    })
}

fn expr_of(kind: ExprKind) -> Expr {
    Expr {
        kind,
        loc: Loc::default(),
    }
}

fn binary_op() -> impl Strategy<Value = BinaryOp> {
    select(vec![
        BinaryOp::Add,
        BinaryOp::Sub,
        BinaryOp::Mul,
        BinaryOp::Div,
        BinaryOp::Pow,
        BinaryOp::Lt,
        BinaryOp::Le,
        BinaryOp::Gt,
        BinaryOp::Ge,
        BinaryOp::Eq,
        BinaryOp::Ne,
        BinaryOp::And,
        BinaryOp::Or,
    ])
}

fn args(inner: impl Strategy<Value = Expr>) -> impl Strategy<Value = Vec<Arg>> {
    vec(
        (option::of(ident()), inner).prop_map(|(name, value)| Arg { name, value }),
        0..3,
    )
}

/// Every kind of expression, nested a few levels, with every operator
/// under every other.
fn expr() -> impl Strategy<Value = Expr> {
    let leaf = prop_oneof![
        3 => (number(), option::of(unit_expr(1)))
            .prop_map(|(value, unit)| expr_of(ExprKind::Number { value, unit })),
        1 => any::<bool>().prop_map(|b| expr_of(ExprKind::Bool(b))),
        1 => "[^\n]{0,6}".prop_map(|s| expr_of(ExprKind::Str(s))),
        3 => name().prop_map(|n| expr_of(ExprKind::Name(n))),
    ];
    leaf.prop_recursive(5, 32, 3, |inner| {
        prop_oneof![
            2 => (select(vec![UnaryOp::Neg, UnaryOp::Not]), inner.clone())
                .prop_map(|(op, a)| expr_of(ExprKind::Unary(op, Box::new(a)))),
            6 => (binary_op(), inner.clone(), inner.clone())
                .prop_map(|(op, a, b)| expr_of(ExprKind::Binary(op, Box::new(a), Box::new(b)))),
            1 => (ident(), args(inner.clone())).prop_map(|(func, args)| expr_of(ExprKind::Call { func, args })),
            1 => vec(inner, 0..3).prop_map(|items| expr_of(ExprKind::List(items))),
        ]
    })
}

fn assign() -> impl Strategy<Value = Assign> {
    (ident(), expr(), comments()).prop_map(|(name, value, comments)| Assign {
        name,
        value,
        comments,
        loc: Loc::default(),
    })
}

fn assigns() -> impl Strategy<Value = Vec<Assign>> {
    vec(assign(), 0..3)
}

fn section_kind() -> impl Strategy<Value = SectionKind> {
    let input = (ident(), unit_expr(0), comments()).prop_map(|(name, unit, comments)| InputDecl {
        name,
        unit,
        comments,
        loc: Loc::default(),
    });
    let equation = (ident(), expr(), comments()).prop_map(|(var, rhs, comments)| Equation {
        var,
        rhs,
        comments,
        loc: Loc::default(),
    });
    prop_oneof![
        assigns().prop_map(SectionKind::Parameters),
        assigns().prop_map(SectionKind::State),
        vec(input, 0..3).prop_map(SectionKind::Inputs),
        vec(equation, 0..3).prop_map(SectionKind::Equations),
        assigns().prop_map(SectionKind::Update),
        expr().prop_map(SectionKind::Spike),
        assigns().prop_map(SectionKind::Reset),
        (expr(), vec(ident(), 0..3))
            .prop_map(|(period, hold)| SectionKind::Refractory { period, hold }),
        ident().prop_map(SectionKind::Method),
        assigns().prop_map(SectionKind::OnPre),
        assigns().prop_map(SectionKind::OnPost),
    ]
}

fn section() -> impl Strategy<Value = Section> {
    (section_kind(), comments()).prop_map(|(kind, comments)| Section {
        kind,
        comments,
        loc: Loc::default(),
    })
}

fn pop_ref() -> impl Strategy<Value = PopRef> {
    let slice = prop_oneof![
        expr().prop_map(Slice::Index),
        (expr(), expr()).prop_map(|(a, b)| Slice::Range(a, b)),
    ];
    (ident(), option::of(slice)).prop_map(|(name, slice)| PopRef {
        name,
        slice,
        loc: Loc::default(),
    })
}

fn call_spec() -> impl Strategy<Value = CallSpec> {
    (ident(), args(expr())).prop_map(|(name, args)| CallSpec {
        name,
        args,
        loc: Loc::default(),
    })
}

fn connect_setting() -> impl Strategy<Value = ConnectSetting> {
    prop_oneof![
        (expr(), ident(), comments()).prop_map(|(value, target, comments)| {
            ConnectSetting::Weight {
                value,
                target,
                comments,
                loc: Loc::default(),
            }
        }),
        assign().prop_map(ConnectSetting::Assign),
    ]
}

fn item_kind() -> impl Strategy<Value = ItemKind> {
    let model_kind = select(vec![
        ModelKind::Neuron,
        ModelKind::Plasticity,
        ModelKind::Modulator,
    ]);
    prop_oneof![
        // A const item holds the comments of its assignment itself.
        (ident(), expr()).prop_map(|(name, value)| ItemKind::Const(Assign {
            name,
            value,
            comments: Comments::default(),
            loc: Loc::default(),
        })),
        "[^\n]{0,10}".prop_map(|path| ItemKind::Import(Import {
            path,
            path_loc: Loc::default()
        })),
        (model_kind, ident(), vec(section(), 0..4)).prop_map(|(kind, name, sections)| {
            ItemKind::Model(ModelDecl {
                kind,
                name,
                sections,
            })
        }),
        (ident(), ident(), expr(), assigns()).prop_map(|(name, model, size, body)| {
            ItemKind::Population(PopulationDecl {
                name,
                model,
                size,
                body,
            })
        }),
        (
            vec(pop_ref(), 1..3),
            vec(pop_ref(), 1..3),
            call_spec(),
            vec(connect_setting(), 0..3)
        )
            .prop_map(
                |(pre, post, rule, settings)| ItemKind::Connect(ConnectDecl {
                    pre,
                    post,
                    rule,
                    settings
                })
            ),
        (ident(), vec(pop_ref(), 1..3))
            .prop_map(|(what, targets)| ItemKind::Record(RecordDecl { what, targets })),
        assigns().prop_map(ItemKind::Simulate),
        (ident(), ident(), assigns())
            .prop_map(|(name, model, body)| ItemKind::Region(RegionDecl { name, model, body })),
        (ident(), assigns())
            .prop_map(|(name, body)| ItemKind::Connectome(ConnectomeDecl { name, body })),
        (pop_ref(), pop_ref(), call_spec()).prop_map(|(from, to, converter)| ItemKind::Couple(
            CoupleDecl {
                from,
                to,
                converter
            }
        )),
    ]
}

/// Any program the parser can produce.
fn program() -> impl Strategy<Value = Program> {
    let item = (item_kind(), comments()).prop_map(|(kind, comments)| Item {
        kind,
        comments,
        loc: Loc::default(),
    });
    (vec(item, 0..5), vec(comment_text(), 0..2)).prop_map(|(items, trailing_comments)| {
        let mut program = Program {
            items,
            trailing_comments,
        };
        canonical_blank_lines(&mut program);
        program
    })
}

/// The kind of an item that the canonical format groups with items of the
/// same kind instead of setting it apart by a blank line (the language
/// brief's list).
fn one_line_kind(kind: &ItemKind) -> Option<&'static str> {
    match kind {
        ItemKind::Const(_) => Some("const"),
        ItemKind::Import(_) => Some("import"),
        ItemKind::Population(population) if population.body.is_empty() => Some("population"),
        ItemKind::Connect(connect) if connect.settings.is_empty() => Some("connect"),
        ItemKind::Record(_) => Some("record"),
        ItemKind::Couple(_) => Some("couple"),
        _ => None,
    }
}

/// Sets `blank_line_before` as the parser reports it: false on the first
/// item and on the first entry of every block (no blank line is printed
/// there), true between two items the format always sets apart, and as
/// generated everywhere else.
fn canonical_blank_lines(program: &mut Program) {
    let mut previous: Option<Option<&'static str>> = None;
    for item in &mut program.items {
        let kind = one_line_kind(&item.kind);
        match previous {
            None => item.comments.blank_line_before = false,
            Some(previous) if kind.is_none() || previous != kind => {
                item.comments.blank_line_before = true
            }
            Some(_) => {}
        }
        previous = Some(kind);
        match &mut item.kind {
            ItemKind::Model(model) => {
                let sections = model.sections.iter_mut();
                first_entry(sections.map(|section| &mut section.comments));
                for section in &mut model.sections {
                    section_entries(&mut section.kind);
                }
            }
            ItemKind::Population(PopulationDecl { body, .. })
            | ItemKind::Simulate(body)
            | ItemKind::Region(RegionDecl { body, .. })
            | ItemKind::Connectome(ConnectomeDecl { body, .. }) => {
                first_entry(body.iter_mut().map(|assign| &mut assign.comments))
            }
            ItemKind::Connect(connect) => {
                first_entry(connect.settings.iter_mut().map(|setting| match setting {
                    ConnectSetting::Weight { comments, .. } => comments,
                    ConnectSetting::Assign(assign) => &mut assign.comments,
                }))
            }
            ItemKind::Const(_)
            | ItemKind::Import(_)
            | ItemKind::Record(_)
            | ItemKind::Couple(_) => {}
        }
    }
}

fn section_entries(kind: &mut SectionKind) {
    match kind {
        SectionKind::Parameters(entries)
        | SectionKind::State(entries)
        | SectionKind::Update(entries)
        | SectionKind::Reset(entries)
        | SectionKind::OnPre(entries)
        | SectionKind::OnPost(entries) => {
            first_entry(entries.iter_mut().map(|assign| &mut assign.comments))
        }
        SectionKind::Inputs(inputs) => {
            first_entry(inputs.iter_mut().map(|input| &mut input.comments))
        }
        SectionKind::Equations(equations) => {
            first_entry(equations.iter_mut().map(|equation| &mut equation.comments))
        }
        SectionKind::Spike(_) | SectionKind::Refractory { .. } | SectionKind::Method(_) => {}
    }
}

/// Clears the flag of the first of a block's entries.
fn first_entry<'a>(mut entries: impl Iterator<Item = &'a mut Comments>) {
    if let Some(first) = entries.next() {
        first.blank_line_before = false;
    }
}

/// Checks that `text` has blank lines only between two nodes of the same
/// block or between two items: each has a line before and a line after,
/// neither blank, at the same indentation (a blank line after a `{` is
/// followed by a deeper line, one before a `}` by a shallower line).
fn check_blank_lines(text: &str) -> Result<(), TestCaseError> {
    let lines: Vec<&str> = text.lines().collect();
    let indent = |line: &str| line.len() - line.trim_start_matches(' ').len();
    for (index, line) in lines.iter().enumerate() {
        if !line.is_empty() {
            continue;
        }
        let before = index.checked_sub(1).map(|i| lines[i]);
        let after = lines.get(index + 1).copied();
        prop_assert!(
            matches!((before, after), (Some(b), Some(a)) if !b.is_empty() && !a.is_empty() && indent(b) == indent(a)),
            "misplaced blank line {} in {:?}",
            index + 1,
            text
        );
    }
    Ok(())
}

/// Pieces of the language, to build random text that gets past the lexer
/// and deep into the parser.
fn fragment() -> impl Strategy<Value = &'static str> {
    select(vec![
        "neuron",
        "population",
        "connect",
        "record",
        "simulate",
        "const",
        "import",
        "couple",
        "region",
        "connectome",
        "plasticity",
        "modulator",
        "parameters",
        "state",
        "inputs",
        "equations",
        "update",
        "spike",
        "reset",
        "refractory",
        "hold",
        "method",
        "on_pre",
        "on_post",
        "weight",
        "A",
        "v",
        "dv",
        "/",
        "dt",
        "{",
        "}",
        "(",
        ")",
        "[",
        "]",
        "=",
        "==",
        "->",
        ":",
        ",",
        "..",
        ".",
        "+",
        "-",
        "*",
        "^",
        "<",
        ">=",
        "!=",
        "not",
        "and",
        "or",
        "true",
        "5",
        "1.5",
        "1e",
        "2e-3",
        "0",
        "1",
        "mV",
        "ms",
        "mv",
        "m",
        "s",
        "^-1",
        "\"s\"",
        "\"",
        "\\",
        "// c\n",
        "\n",
        " ",
        "  ",
        "_",
        "@",
        "1__0",
        "3.",
        "é",
    ])
}

/// Applies one edit at a character boundary chosen by `at`.
fn apply_edit(text: &mut String, (at, kind, ch): (Index, u8, char)) {
    let boundaries: Vec<usize> = text
        .char_indices()
        .map(|(i, _)| i)
        .chain([text.len()])
        .collect();
    let position = boundaries[at.index(boundaries.len())];
    let next = boundaries.iter().copied().find(|&b| b > position);
    match (kind % 3, next) {
        (0, _) => text.insert(position, ch),
        (1, Some(end)) => text.replace_range(position..end, ""),
        (2, Some(end)) => text.replace_range(position..end, &ch.to_string()),
        _ => {}
    }
}

/// Characters that matter to the grammar, for edits.
fn edit_char() -> impl Strategy<Value = char> {
    prop_oneof![
        select(
            "{}()[]=:,.-+*/^<>!\"\\ \n_0123456789emsdV"
                .chars()
                .collect::<Vec<_>>()
        ),
        any::<char>(),
    ]
}

/// Parses `text`; when it has no errors, checks that formatting and
/// parsing again gives the same tree and the same text.
fn check_clean_round_trip(text: &str) -> Result<(), TestCaseError> {
    let (program, diagnostics) = parse(text, FileId(0));
    if diagnostics.is_empty() {
        let formatted = format(&program);
        check_blank_lines(&formatted)?;
        let (again, errors) = parse(&formatted, FileId(0));
        prop_assert!(
            errors.is_empty(),
            "{text:?} formats to {formatted:?}, which has errors {errors:?}"
        );
        prop_assert_eq!(&again, &program, "{:?} formats to {:?}", text, formatted);
        prop_assert_eq!(format(&again), formatted);
    }
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn formatting_then_parsing_gives_back_the_tree(program in program()) {
        let text = format(&program);
        check_blank_lines(&text)?;
        let (parsed, diagnostics) = parse(&text, FileId(0));
        prop_assert!(diagnostics.is_empty(), "{}\n{:#?}", text, diagnostics);
        prop_assert_eq!(&parsed, &program, "{}", text);
        prop_assert_eq!(format(&parsed), text);
    }

    #[test]
    fn the_parser_never_panics_on_arbitrary_text(text in any::<String>()) {
        check_clean_round_trip(&text)?;
    }

    #[test]
    fn the_parser_never_panics_on_arbitrary_bytes(bytes in vec(any::<u8>(), 0..256)) {
        check_clean_round_trip(&String::from_utf8_lossy(&bytes))?;
    }

    #[test]
    fn the_parser_never_panics_on_language_fragments(pieces in vec(fragment(), 0..48)) {
        check_clean_round_trip(&pieces.concat())?;
    }

    #[test]
    fn the_parser_never_panics_on_edited_programs(
        program in program(),
        edits in vec((any::<Index>(), any::<u8>(), edit_char()), 1..6),
    ) {
        let mut text = format(&program);
        for edit in edits {
            apply_edit(&mut text, edit);
        }
        check_clean_round_trip(&text)?;
    }
}
