//! Braced blocks, `{ entry ... }` and `{ section ... }`, with error
//! recovery: a bad entry is reported and skipped, and the block goes on
//! with the next one; a block that is never closed is reported at its `{`.

use super::input::{Input, PResult};
use super::recover::{to_diagnostic, unterminated_block};
use crate::front::lexer::Punct;
use neurc_ir::Span;

/// `{ entries }` where each entry is parsed by `entry`, and `open_brace`
/// matches the `{` (failing with a message that says what it opens).
///
/// Fails (recoverably) only when there is no `{`: once the block is open,
/// errors inside it are recorded in the context and skipped with
/// `skip_bad`, and a missing `}` is recorded when `ends_early` says an
/// enclosing construct starts, or at the end of the file.
pub(super) fn braced<'c, T>(
    open_brace: impl Fn(Input<'c>) -> PResult<'c, Span>,
    mut entry: impl FnMut(Input<'c>) -> PResult<'c, T>,
    ends_early: fn(Input<'c>) -> bool,
    skip_bad: fn(Input<'c>) -> Input<'c>,
) -> impl FnMut(Input<'c>) -> PResult<'c, Vec<T>> {
    move |open: Input<'c>| {
        let (mut i, _) = open_brace(open)?;
        let mut entries = Vec::new();
        loop {
            if i.is_punct(Punct::RBrace) {
                return Ok((i.next(), entries));
            }
            if i.at_end() || ends_early(i) {
                i.ctx.report(unterminated_block(open, i));
                return Ok((i, entries));
            }
            match entry(i) {
                Ok((rest, value)) => {
                    entries.push(value);
                    i = rest;
                }
                Err(err) => {
                    i.ctx.report(to_diagnostic(err, i));
                    i = skip_bad(i);
                }
            }
        }
    }
}
