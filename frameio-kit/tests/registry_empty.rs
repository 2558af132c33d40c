//! An app with no handlers refuses to start and says why (usually a crate that was not linked).

#[test]
fn zero_handlers_is_a_start_up_error() {
    let err = frameio_kit::App::from_registry().build().unwrap_err();
    assert_eq!(err.problems(), &[frameio_kit::StartupProblem::NoHandlers]);
    assert!(err.to_string().contains("use my_app as _;"), "{err}");
}

#[test]
fn run_refuses_too() {
    let err = frameio_kit::run().unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::InvalidInput);
    assert!(
        err.to_string().contains("no handlers are registered"),
        "{err}"
    );
}
