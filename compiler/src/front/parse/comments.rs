//! Attaching comments and blank lines to the tree once it is built.
//!
//! Walking the finished tree in source order keeps the grammar free of
//! comment handling. Each node that holds [`Comments`] (items, sections,
//! block entries) takes as leading comments every comment not yet taken
//! that starts before it, and as trailing comment the one that follows its
//! last token on the same line. So a comment in an odd place (inside an
//! expression, after a `{`, before a `}`) goes to the next node that can
//! hold it, and what is left at the end goes to
//! [`Program::trailing_comments`]: no comment is ever dropped.
//!
//! A node also records whether a blank line comes before it: one or more
//! empty lines in the whitespace just before its first leading comment (or
//! its first token when it has none). The flag is recorded as the
//! formatter prints it, so that formatting and parsing again gives the same
//! tree: never on the first item of the file or the first entry of a
//! block, where no blank line is printed, and always between two items the
//! canonical format sets apart anyway.

use crate::front::ast::{Comments, ConnectSetting, Item, ItemKind, Loc, Program, SectionKind};
use crate::front::format::blank_line_required;
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
    for (index, item) in program.items.iter_mut().enumerate() {
        pending.leading(&mut item.comments, item.loc, index == 0);
        match &mut item.kind {
            ItemKind::Model(model) => {
                for (index, section) in model.sections.iter_mut().enumerate() {
                    pending.leading(&mut section.comments, section.loc, index == 0);
                    section_entries(&mut section.kind, &mut pending);
                    section.comments.trailing = pending.after(section.loc);
                }
            }
            ItemKind::Population(population) => assigns(&mut population.body, &mut pending),
            ItemKind::Simulate(settings) => assigns(settings, &mut pending),
            ItemKind::Region(region) => assigns(&mut region.body, &mut pending),
            ItemKind::Connectome(connectome) => assigns(&mut connectome.body, &mut pending),
            ItemKind::Connect(connect) => {
                for (index, setting) in connect.settings.iter_mut().enumerate() {
                    let (comments, loc) = match setting {
                        ConnectSetting::Weight { comments, loc, .. } => (comments, *loc),
                        ConnectSetting::Assign(assign) => (&mut assign.comments, assign.loc),
                    };
                    pending.entry(comments, loc, index == 0);
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
    required_blank_lines(&mut program.items);
    program.trailing_comments = pending.rest();
}

/// Sets the flag of every item that the canonical format sets apart from
/// the item before it, whether or not the source had a blank line there.
fn required_blank_lines(items: &mut [Item]) {
    for index in 1..items.len() {
        if blank_line_required(&items[index - 1], &items[index]) {
            items[index].comments.blank_line_before = true;
        }
    }
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
            for (index, input) in inputs.iter_mut().enumerate() {
                pending.entry(&mut input.comments, input.loc, index == 0);
            }
        }
        SectionKind::Equations(equations) => {
            for (index, equation) in equations.iter_mut().enumerate() {
                pending.entry(&mut equation.comments, equation.loc, index == 0);
            }
        }
        SectionKind::Spike(_) | SectionKind::Refractory { .. } | SectionKind::Method(_) => {}
    }
}

fn assigns(entries: &mut [crate::front::ast::Assign], pending: &mut Pending<'_>) {
    for (index, assign) in entries.iter_mut().enumerate() {
        pending.entry(&mut assign.comments, assign.loc, index == 0);
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
    /// The comments of a node without children; `first` when it is the
    /// first entry of its block.
    fn entry(&mut self, comments: &mut Comments, loc: Loc, first: bool) {
        self.leading(comments, loc, first);
        comments.trailing = self.after(loc);
    }

    /// Takes every comment that starts before the node at `loc` as its
    /// leading comments, and notes whether a blank line comes before them
    /// (never for the `first` node of a file or block).
    fn leading(&mut self, comments: &mut Comments, loc: Loc, first: bool) {
        let mut start = loc.0.start;
        let mut taken = Vec::new();
        while let Some((comment_start, text)) = self.comments.get_mut(self.next) {
            if *comment_start >= loc.0.start {
                break;
            }
            if let Some(text) = text.take() {
                if taken.is_empty() {
                    start = start.min(*comment_start);
                }
                taken.push(text);
            }
            self.next += 1;
        }
        comments.leading = taken;
        comments.blank_line_before = !first && blank_line_before(self.source, start);
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

/// Whether the whitespace just before byte `offset` of `source` holds an
/// empty line. Comments and tokens never hold a newline, so the newlines
/// counted are those between the node and the token or comment before it.
fn blank_line_before(source: &str, offset: u32) -> bool {
    let before = source.as_bytes().get(..offset as usize).unwrap_or_default();
    before
        .iter()
        .rev()
        .take_while(|byte| matches!(byte, b' ' | b'\t' | b'\r' | b'\n'))
        .filter(|&&byte| byte == b'\n')
        .nth(1)
        .is_some()
}
