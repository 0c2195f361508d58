#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| telephony::fuzz::screen(data));
