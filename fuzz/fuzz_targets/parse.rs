//! Parses arbitrary bytes (as lossy UTF-8): the parser must never panic,
//! and a file that parses without errors must format to text that parses
//! back to the same tree and formats to the same text.

#![no_main]

use libfuzzer_sys::fuzz_target;
use neurc_compiler::front::{format, parse};
use neurc_ir::FileId;

fuzz_target!(|data: &[u8]| {
    let source = String::from_utf8_lossy(data);
    let (program, diagnostics) = parse(&source, FileId(0));
    if !diagnostics.is_empty() {
        return;
    }
    let formatted = format(&program);
    let (reparsed, errors) = parse(&formatted, FileId(0));
    assert!(
        errors.is_empty(),
        "formatted text has errors: {errors:?}\n{formatted}"
    );
    assert_eq!(reparsed, program, "the tree changed:\n{formatted}");
    assert_eq!(format(&reparsed), formatted, "formatting is not idempotent");
});
