//! How a relying party's Rust test suite uses jpki-mock: start the mock in-process,
//! issue a card, let the code under test check revocation over HTTP, revoke the card,
//! and check again. `cargo run --example relying_party_test` runs it; `cargo test`
//! runs it as a test.
//!
//! The "relying party" here is a few lines that fetch the CRL named in the certificate
//! and look for its serial: in your suite it is your own software.

use jpki_mock::{Cause, CertKind, IssueRequest, TestCa};
use x509_parser::prelude::{FromDer, X509Certificate};
use x509_parser::revocation_list::CertificateRevocationList;

/// The relying party's check: is this certificate on the CRL its CRL distribution point
/// names? (Fetches over real HTTP.)
fn is_revoked_per_crl(cert_pem: &str) -> bool {
    let pem = ::pem::parse(cert_pem).expect("certificate PEM");
    let (_, cert) = X509Certificate::from_der(pem.contents()).expect("certificate");
    let crl_url = cert
        .extensions()
        .iter()
        .find_map(|e| match e.parsed_extension() {
            x509_parser::extensions::ParsedExtension::CRLDistributionPoints(points) => points
                .points
                .iter()
                .find_map(|p| match &p.distribution_point {
                    Some(x509_parser::extensions::DistributionPointName::FullName(names)) => {
                        names.iter().find_map(|n| match n {
                            x509_parser::extensions::GeneralName::URI(uri) => Some(uri.to_string()),
                            _ => None,
                        })
                    }
                    _ => None,
                }),
            _ => None,
        })
        .expect("a CRL URL in the certificate");
    let der = reqwest::blocking::get(&crl_url)
        .and_then(|r| r.error_for_status())
        .and_then(|r| r.bytes())
        .expect("CRL fetch");
    let (_, crl) = CertificateRevocationList::from_der(&der).expect("CRL");
    let serial = cert.tbs_certificate.raw_serial();
    let revoked = crl
        .iter_revoked_certificates()
        .any(|entry| entry.raw_serial() == serial);
    revoked
}

async fn relying_party_scenario() {
    let ca = TestCa::builder()
        .state_in_memory()
        .start()
        .await
        .expect("test CA");
    let card = ca
        .issue(IssueRequest {
            name: "山田 太郎".into(),
            birth: "1990-10-01".into(),
            gender: "male".into(),
            address: "東京都品川区広町2-1-36".into(),
            key_alg: Some("p256".into()),
            ..IssueRequest::default()
        })
        .await
        .expect("issue");
    let sign_pem = card.sign.expect("a signing certificate").cert_pem;

    let check = |pem: String| tokio::task::spawn_blocking(move || is_revoked_per_crl(&pem));
    assert!(
        !check(sign_pem.clone()).await.unwrap(),
        "a new card is not revoked"
    );

    let report = ca.revoke(card.card_id, Cause::Lost).await.expect("revoke");
    println!("revoked: {:?}", report.revoked);
    assert!(
        check(sign_pem).await.unwrap(),
        "a lost card's certificate is on the CRL"
    );

    // The request log proves the relying party did fetch the CRL, twice.
    let fetches = ca
        .requests()
        .iter()
        .filter(|r| r.path == "/crl/sign.crl")
        .count();
    assert_eq!(fetches, 2);
    println!(
        "sign CA:\n{}checked against {}",
        ca.ca_certificate_pem(CertKind::Sign),
        ca.base_url()
    );
    ca.stop().await;
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    relying_party_scenario().await;
}

#[cfg(test)]
mod tests {
    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn the_relying_party_example_runs() {
        super::relying_party_scenario().await;
    }
}
