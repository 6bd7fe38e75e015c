//! `Config::from_toml` on arbitrary UTF-8: never panics; an accepted configuration
//! is accepted again when parsed a second time (parsing is a pure function).
#![no_main]

use jpki_mock::Config;
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(config) = Config::from_toml(text) {
        let again = Config::from_toml(text).expect("a configuration parses twice");
        assert_eq!(config, again);
    }
});
