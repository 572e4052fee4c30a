//! X.509 client certificates, as mutual TLS (RFC 8705) and client assertions' `x5t` headers
//! use them: the PEM chain of a `client_certificate_file`, the leaf's public key and validity, and
//! its thumbprints. The chain is not validated here: the server does that, and a client only needs
//! to know that it holds the leaf's key and that the leaf is in date.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use der::asn1::{GeneralizedTime, UtcTime};
use der::{Decode, Reader, SliceReader, Tag};

use super::{VerifyingKey, certificate_spki, pem_blocks, tbs_fields};

/// A certificate chain, leaf first, each certificate DER.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CertificateChain {
    pub der: Vec<Vec<u8>>,
}

impl CertificateChain {
    /// The `CERTIFICATE` blocks of a PEM file (other blocks, such as a key kept in the same file,
    /// are skipped): at least one. `shown` names the file in messages.
    pub fn from_pem(bytes: &[u8], shown: &str) -> Result<CertificateChain, String> {
        let der: Vec<Vec<u8>> = pem_blocks(bytes, shown)?
            .into_iter()
            .filter(|block| block.tag() == "CERTIFICATE")
            .map(|block| block.into_contents())
            .collect();
        if der.is_empty() {
            return Err(format!(
                "{shown} has no certificate (`-----BEGIN CERTIFICATE-----`)"
            ));
        }
        for (n, cert) in der.iter().enumerate() {
            tbs_fields(cert).map_err(|e| {
                format!(
                    "certificate {} of {shown} is not a DER X.509 certificate ({e})",
                    n + 1
                )
            })?;
        }
        Ok(CertificateChain { der })
    }

    /// The end-entity certificate: the first.
    pub fn leaf(&self) -> &[u8] {
        &self.der[0]
    }

    /// The leaf's public key.
    pub fn public_key(&self) -> Result<VerifyingKey, String> {
        VerifyingKey::from_spki_der(&certificate_spki(self.leaf())?)
    }

    /// The leaf's notBefore and notAfter, in seconds since the epoch (RFC 5280 §4.1.2.5).
    pub fn validity(&self) -> Result<(u64, u64), String> {
        validity(self.leaf())
            .map_err(|e| format!("the certificate's validity cannot be read ({e})"))
    }

    /// RFC 8705 §3.1 and RFC 7515 §4.1.8: base64url(SHA-256(DER)) of the leaf, the `x5t#S256`
    /// of a JWS header and of a certificate-bound token's `cnf`.
    pub fn x5t_s256(&self) -> String {
        URL_SAFE_NO_PAD.encode(ring::digest::digest(&ring::digest::SHA256, self.leaf()))
    }

    /// RFC 7515 §4.1.7: base64url(SHA-1(DER)) of the leaf, the `x5t` header Microsoft Entra ID
    /// asks of certificate credentials. SHA-1 names the certificate here; it proves nothing.
    pub fn x5t_sha1(&self) -> String {
        URL_SAFE_NO_PAD.encode(ring::digest::digest(
            &ring::digest::SHA1_FOR_LEGACY_USE_ONLY,
            self.leaf(),
        ))
    }
}

/// Validity ::= SEQUENCE { notBefore Time, notAfter Time }, Time ::= CHOICE { UTCTime,
/// GeneralizedTime }: the fifth TBSCertificate field, or the fourth without a version.
fn validity(der: &[u8]) -> der::Result<(u64, u64)> {
    let fields = tbs_fields(der)?;
    let versioned = fields.first().is_some_and(|f| f.first() == Some(&0xa0));
    let field = fields
        .get(if versioned { 4 } else { 3 })
        .ok_or_else(|| der::Error::from(der::ErrorKind::Failed))?;
    let mut reader = SliceReader::new(field)?;
    let times = reader.sequence(|seq| {
        let mut time = || -> der::Result<u64> {
            let tlv = seq.tlv_bytes()?;
            let at = match Tag::from_der(&tlv[..1])? {
                Tag::UtcTime => UtcTime::from_der(tlv)?.to_unix_duration(),
                Tag::GeneralizedTime => GeneralizedTime::from_der(tlv)?.to_unix_duration(),
                other => return Err(other.unexpected_error(Some(Tag::UtcTime)).into()),
            };
            Ok(at.as_secs())
        };
        Ok::<_, der::Error>((time()?, time()?))
    })?;
    reader.finish()?;
    Ok(times)
}
