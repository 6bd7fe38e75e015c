//! Signing speed of the responder's key type (RSA-2048, P-256 and P-384, aws-lc-rs), for
//! comparison with `openssl speed rsa2048`. Usage: cargo bench --bench sign
use std::time::Instant;

use jpki_mock::internals::KeyPair;
use jpki_mock::KeyAlg;

fn main() {
    for alg in KeyAlg::ALL {
        let key = KeyPair::generate(alg).expect("key");
        let message = [7u8; 200];
        let count = 2000;
        let start = Instant::now();
        for _ in 0..count {
            key.sign(&message).expect("sign");
        }
        let seconds = start.elapsed().as_secs_f64();
        println!(
            "{alg}: {:.3} ms per signature, {:.0} signatures/s on one core",
            seconds * 1000.0 / f64::from(count),
            f64::from(count) / seconds
        );
    }
}
