//! Attaching comments to the tree once it is built.
//!
//! Walking the finished tree in source order keeps the grammar free of
//! comment handling. Each node that holds [`Comments`] (items, sections,
//! block entries) takes as leading comments every comment not yet taken
//! that starts before it, and as trailing comment the one that follows its
//! last token on the same line. So a comment in an odd place (inside an
//! expression, after a `{`, before a `}`) goes to the next node that can
//! hold it, and what is left at the end goes to
//! [`Program::trailing_comments`]: no comment is ever dropped.

use crate::front::ast::{Comments, ConnectSetting, ItemKind, Loc, Program, SectionKind};
use crate::front::lexer::Comment;

/// Fills in the comments of every node of `program` from `comments`, which
/// are in source order.
pub(super) fn attach(program: &mut Program, comments: Vec<Comment>, source: &str) {
    let mut pending = Pending {
        comments: comments
            .into_iter()
            .map(|c| (c.span.start, Some(c.text)))
            .collect(),
        next: 0,
        source,
    };
    for item in &mut program.items {
        item.comments.leading = pending.before(item.loc);
        match &mut item.kind {
            ItemKind::Model(model) => {
                for section in &mut model.sections {
                    section.comments.leading = pending.before(section.loc);
                    section_entries(&mut section.kind, &mut pending);
                    section.comments.trailing = pending.after(section.loc);
                }
            }
            ItemKind::Population(population) => assigns(&mut population.body, &mut pending),
            ItemKind::Simulate(settings) => assigns(settings, &mut pending),
            ItemKind::Region(region) => assigns(&mut region.body, &mut pending),
            ItemKind::Connectome(connectome) => assigns(&mut connectome.body, &mut pending),
            ItemKind::Connect(connect) => {
                for setting in &mut connect.settings {
                    match setting {
                        ConnectSetting::Weight { comments, loc, .. } => {
                            pending.entry(comments, *loc)
                        }
                        ConnectSetting::Assign(assign) => {
                            pending.entry(&mut assign.comments, assign.loc)
                        }
                    }
                }
            }
            // A const item holds its comments itself; the others have no
            // entries.
            ItemKind::Const(_)
            | ItemKind::Import(_)
            | ItemKind::Record(_)
            | ItemKind::Couple(_) => {}
        }
        item.comments.trailing = pending.after(item.loc);
    }
    program.trailing_comments = pending.rest();
}

fn section_entries(kind: &mut SectionKind, pending: &mut Pending<'_>) {
    match kind {
        SectionKind::Parameters(entries)
        | SectionKind::State(entries)
        | SectionKind::Update(entries)
        | SectionKind::Reset(entries)
        | SectionKind::OnPre(entries)
        | SectionKind::OnPost(entries) => assigns(entries, pending),
        SectionKind::Inputs(inputs) => {
            for input in inputs {
                pending.entry(&mut input.comments, input.loc);
            }
        }
        SectionKind::Equations(equations) => {
            for equation in equations {
                pending.entry(&mut equation.comments, equation.loc);
            }
        }
        SectionKind::Spike(_) | SectionKind::Refractory { .. } | SectionKind::Method(_) => {}
    }
}

fn assigns(entries: &mut [crate::front::ast::Assign], pending: &mut Pending<'_>) {
    for assign in entries {
        pending.entry(&mut assign.comments, assign.loc);
    }
}

/// The comments not yet attached.
struct Pending<'s> {
    /// Start offset and text of each comment; the text is taken when the
    /// comment is attached.
    comments: Vec<(u32, Option<String>)>,
    /// Every comment before this index is attached.
    next: usize,
    source: &'s str,
}

impl Pending<'_> {
    /// The comments of a node without children.
    fn entry(&mut self, comments: &mut Comments, loc: Loc) {
        comments.leading = self.before(loc);
        comments.trailing = self.after(loc);
    }

    /// Takes every comment that starts before the node at `loc`.
    fn before(&mut self, loc: Loc) -> Vec<String> {
        let mut taken = Vec::new();
        while let Some((start, text)) = self.comments.get_mut(self.next) {
            if *start >= loc.0.start {
                break;
            }
            taken.extend(text.take());
            self.next += 1;
        }
        taken
    }

    /// Takes the comment after the node at `loc` on the line it ends on.
    fn after(&mut self, loc: Loc) -> Option<String> {
        let end = loc.0.end;
        let index = self.comments.partition_point(|(start, _)| *start < end);
        let (start, text) = self.comments.get_mut(index)?;
        let gap = self.source.get(end as usize..*start as usize)?;
        if gap.chars().all(|c| c.is_whitespace() && c != '\n') {
            text.take()
        } else {
            None
        }
    }

    /// Takes every comment left.
    fn rest(self) -> Vec<String> {
        self.comments
            .into_iter()
            .filter_map(|(_, text)| text)
            .collect()
    }
}
