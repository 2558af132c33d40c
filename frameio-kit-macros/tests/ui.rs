//! Compile-time behaviour of `#[webhook]` and `#[action]`: what compiles, and the exact error
//! a user sees for each mistake (regenerate with `TRYBUILD=overwrite` after a deliberate change).

#[test]
fn ui() {
    let t = trybuild::TestCases::new();
    t.pass("tests/ui/pass/*.rs");
    t.compile_fail("tests/ui/fail/*.rs");
}
