//! `keys generate` and `keys public` (DESIGN §10): new keys are private files that OpenSSL reads
//! to the public key printed; `keys public` reads what OpenSSL writes, in every form, to the key
//! OpenSSL says it is; files others can read, encrypted keys and algorithms that do not fit are
//! refused (exit 78); and no private member of any key reaches stdout or stderr (SECURITY 39,
//! 42).

use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine;
use base64::engine::general_purpose::{STANDARD_NO_PAD, URL_SAFE_NO_PAD};
use der::Decode;
use oauthctl::keys::VerifyingKey;
use serde_json::{Map, Value, json};
use sha2::Digest;

use crate::support::common::{Env, fails, json_of, stderr_of, stdout_of};

/// The members of a JWK that only a private key has (RFC 7518 §6, RFC 8037 §2).
const PRIVATE_MEMBERS: [&str; 8] = ["d", "p", "q", "dp", "dq", "qi", "oth", "k"];

/// Runs openssl in `dir`, which must succeed; its stdout.
fn openssl(dir: &Path, args: &[&str]) -> Vec<u8> {
    let out = Command::new("openssl")
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("openssl {args:?}: {e}"));
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// A folder of keys in the test's HOME.
fn key_dir(env: &Env) -> PathBuf {
    let dir = env.home.path().join("keys");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn as_object(value: &Value) -> &Map<String, Value> {
    value
        .as_object()
        .unwrap_or_else(|| panic!("not an object: {value}"))
}

/// The RFC 7638 thumbprint, computed here with another SHA-256 than oauthctl's.
fn thumbprint(jwk: &Map<String, Value>) -> String {
    let required: &[&str] = match jwk["kty"].as_str().unwrap() {
        "RSA" => &["e", "kty", "n"],
        "EC" => &["crv", "kty", "x", "y"],
        _ => &["crv", "kty", "x"],
    };
    let members: Vec<String> = required
        .iter()
        .map(|name| format!("\"{name}\":\"{}\"", jwk[*name].as_str().unwrap()))
        .collect();
    let json = format!("{{{}}}", members.join(","));
    URL_SAFE_NO_PAD.encode(sha2::Sha256::digest(json.as_bytes()))
}

/// A public key, as bytes to compare: its family and material.
fn material(key: &VerifyingKey) -> (String, Vec<u8>) {
    let family = key.family().to_string();
    match key {
        VerifyingKey::Rsa { n, e } => (family, [n.as_slice(), e].concat()),
        VerifyingKey::EcP256(m)
        | VerifyingKey::EcP384(m)
        | VerifyingKey::Ed25519(m)
        | VerifyingKey::Hmac(m) => (family, m.clone()),
    }
}

/// The public key OpenSSL finds in a private key file, read by `inspect --key`'s reader.
fn openssl_public_key(dir: &Path, file: &str) -> (String, Vec<u8>) {
    let spki = openssl(dir, &["pkey", "-in", file, "-pubout", "-outform", "DER"]);
    material(&VerifyingKey::from_spki_der(&spki).unwrap())
}

/// A public JWK as oauthctl printed it: the key's members, `kid` (the thumbprint unless the key
/// had its own), `use: "sig"` and `alg`, and no private member.
fn check_jwk(jwk: &Value, alg: &str) -> (String, Vec<u8>) {
    let jwk = as_object(jwk);
    for member in PRIVATE_MEMBERS {
        assert!(!jwk.contains_key(member), "`{member}` printed: {jwk:?}");
    }
    assert_eq!(jwk["use"], "sig");
    assert_eq!(jwk["alg"], alg);
    let mut public = jwk.clone();
    for name in ["kid", "use", "alg"] {
        public.remove(name);
    }
    material(&VerifyingKey::from_jwk(&public).unwrap())
}

/// The private parts of a PEM key (RFC 8017 §A.1.2, RFC 5915, RFC 8410 §7), to look for in what
/// oauthctl printed: the RSA private exponent, primes and CRT values, the EC scalar, the Ed25519
/// seed.
pub(crate) fn private_parts(pem_text: &[u8]) -> Vec<Vec<u8>> {
    fn rsa(der: &[u8]) -> Vec<Vec<u8>> {
        let key = pkcs1::RsaPrivateKey::<der::asn1::UintRef>::from_der(der).unwrap();
        [
            key.private_exponent,
            key.prime1,
            key.prime2,
            key.exponent1,
            key.exponent2,
            key.coefficient,
        ]
        .iter()
        .map(|int| int.as_bytes().to_vec())
        .collect()
    }
    fn ec(der: &[u8]) -> Vec<Vec<u8>> {
        vec![
            sec1::EcPrivateKey::from_der(der)
                .unwrap()
                .private_key
                .to_vec(),
        ]
    }
    let block = pem::parse_many(pem_text)
        .unwrap()
        .into_iter()
        .find(|b| b.tag().ends_with("PRIVATE KEY"))
        .expect("a private key block");
    match block.tag() {
        "RSA PRIVATE KEY" => rsa(block.contents()),
        "EC PRIVATE KEY" => ec(block.contents()),
        _ => {
            let info = pkcs8::PrivateKeyInfoRef::from_der(block.contents()).unwrap();
            let inner = info.private_key.as_bytes();
            match info.algorithm.oid.to_string().as_str() {
                "1.2.840.113549.1.1.1" => rsa(inner),
                "1.2.840.10045.2.1" => ec(inner),
                _ => vec![inner[2..].to_vec()],
            }
        }
    }
}

/// Asserts that no private part of the key in `pem_text` shows in `output`, in any encoding a
/// JWK, a hex dump or a base64 body would use, whole or as a 12-byte fragment.
fn assert_no_private_part(pem_text: &[u8], output: &str) {
    for part in private_parts(pem_text) {
        let whole = &part[..part.len() / 3 * 3];
        let fragment = &part[..12];
        for bytes in [whole, fragment] {
            let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
            for form in [
                URL_SAFE_NO_PAD.encode(bytes),
                STANDARD_NO_PAD.encode(bytes),
                hex.clone(),
                hex.to_uppercase(),
            ] {
                assert!(!output.contains(&form), "a private part shows: {output}");
            }
        }
    }
}

/// `keys public FILE`, which must succeed: the JWK (text) and the JWK Set (`-o json`), checked
/// to be the same key, with no private part of the file in any output.
fn public_of(env: &Env, file: &Path, extra: &[&str]) -> Value {
    let text = env
        .cmd()
        .args(["keys", "public"])
        .args(extra)
        .arg(file)
        .assert()
        .success()
        .stderr("");
    let jwk = json_of(&text);
    let json = env
        .cmd()
        .args(["-o", "json", "keys", "public"])
        .args(extra)
        .arg(file)
        .assert()
        .success()
        .stderr("");
    assert_eq!(json_of(&json), json!({"keys": [jwk.clone()]}));
    let pem_text = std::fs::read(file).unwrap();
    if pem_text.starts_with(b"-----") {
        assert_no_private_part(&pem_text, &(stdout_of(&text) + &stdout_of(&json)));
    }
    jwk
}

// ---------------------------------------------------------------- keys generate

#[test]
fn generate_writes_a_private_pkcs8_key_that_openssl_reads_to_the_jwk_printed() {
    let env = Env::new();
    let dir = key_dir(&env);
    for (flags, alg, kty) in [
        (&[][..], "ES256", "EC"),
        (&["--alg", "ES256"][..], "ES256", "EC"),
        (&["--alg", "ES384"][..], "ES384", "EC"),
        (&["--alg", "EdDSA"][..], "EdDSA", "OKP"),
        // RSA 3072, made by RustCrypto's rsa (ring cannot make RSA keys).
        (&["--alg", "PS256"][..], "PS256", "RSA"),
    ] {
        let name = format!("{alg}-{}.pem", flags.len());
        let file = dir.join(&name);
        let assert = env
            .cmd()
            .args(["keys", "generate", "--out"])
            .arg(&file)
            .args(flags)
            .assert()
            .success();
        assert_eq!(
            stderr_of(&assert),
            format!(
                "oauthctl: wrote the new private key to `{}` (mode 0600); its public JWK is on stdout\n",
                file.display()
            )
        );
        let jwk = json_of(&assert);
        assert_eq!(jwk["kty"], kty);
        assert_eq!(jwk["kid"], thumbprint(as_object(&jwk)));
        let public = check_jwk(&jwk, alg);
        assert_eq!(mode(&file), 0o600, "{name}");
        let pem_text = std::fs::read(&file).unwrap();
        assert!(pem_text.starts_with(b"-----BEGIN PRIVATE KEY-----\n"));
        assert_no_private_part(&pem_text, &(stdout_of(&assert) + &stderr_of(&assert)));
        // OpenSSL reads the new key, and finds the public key that was printed.
        assert_eq!(openssl_public_key(&dir, &name), public, "{name}");
        // `keys public` of the new file prints the same JWK.
        assert_eq!(public_of(&env, &file, &["--alg", alg]), jwk);
    }
}

#[test]
fn generate_never_replaces_a_file() {
    let env = Env::new();
    let dir = key_dir(&env);
    let file = dir.join("taken.pem");
    std::fs::write(&file, "precious\n").unwrap();
    chmod(&file, 0o644);
    let refused = env
        .cmd()
        .args(["keys", "generate", "--out"])
        .arg(&file)
        .assert();
    let message = format!(
        "oauthctl: error: `{}` exists; refusing to overwrite it (remove it, or choose another --out)\n",
        file.display()
    );
    assert_eq!(fails(refused, 78, "refusing"), message);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "precious\n");
    assert_eq!(mode(&file), 0o644);
    // Nor writes through a link, even one that leads nowhere yet.
    let target = dir.join("elsewhere.pem");
    let link = dir.join("link.pem");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let refused = env
        .cmd()
        .args(["keys", "generate", "--out"])
        .arg(&link)
        .assert();
    fails(refused, 78, "refusing to overwrite");
    assert!(!target.exists());
    let names: Vec<_> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names.len(), 2, "no temp file is left: {names:?}");
}

// ---------------------------------------------------------------- keys public

/// What OpenSSL writes, in each form `keys public` reads, and the alg each gets by default.
#[test]
fn public_reads_every_form_openssl_writes() {
    let env = Env::new();
    let dir = key_dir(&env);
    let d = dir.as_path();
    openssl(
        d,
        &[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-out",
            "ec.pem",
        ],
    );
    openssl(d, &["ec", "-in", "ec.pem", "-out", "ec.sec1.pem"]);
    openssl(
        d,
        &[
            "ecparam",
            "-name",
            "secp384r1",
            "-genkey",
            "-out",
            "p384.sec1.pem",
        ],
    );
    openssl(d, &["genpkey", "-algorithm", "ED25519", "-out", "ed.pem"]);
    openssl(
        d,
        &[
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
            "rsa.pem",
        ],
    );
    openssl(
        d,
        &[
            "rsa",
            "-in",
            "rsa.pem",
            "-traditional",
            "-out",
            "rsa.pkcs1.pem",
        ],
    );
    let cases = [
        ("ec.pem", "ES256", "PRIVATE KEY"),
        ("ec.sec1.pem", "ES256", "EC PRIVATE KEY"),
        ("p384.sec1.pem", "ES384", "EC PARAMETERS"),
        ("ed.pem", "EdDSA", "PRIVATE KEY"),
        ("rsa.pem", "RS256", "PRIVATE KEY"),
        ("rsa.pkcs1.pem", "RS256", "RSA PRIVATE KEY"),
    ];
    for (name, alg, first_block) in cases {
        let file = dir.join(name);
        chmod(&file, 0o600);
        let pem_text = std::fs::read_to_string(&file).unwrap();
        assert!(
            pem_text.starts_with(&format!("-----BEGIN {first_block}-----")),
            "{name}"
        );
        let jwk = public_of(&env, &file, &[]);
        assert_eq!(jwk["kid"], thumbprint(as_object(&jwk)), "{name}");
        assert_eq!(check_jwk(&jwk, alg), openssl_public_key(d, name), "{name}");
    }
    // --alg chooses among the algorithms the key signs with.
    let jwk = public_of(&env, &dir.join("rsa.pkcs1.pem"), &["--alg", "PS256"]);
    assert_eq!(check_jwk(&jwk, "PS256"), openssl_public_key(d, "rsa.pem"));
}

#[test]
fn public_keeps_a_jwks_kid_and_a_service_account_keys_private_key_id() {
    let env = Env::new();
    let dir = key_dir(&env);
    openssl(
        &dir,
        &[
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
            "sa.pem",
        ],
    );
    let google = json!({
        "type": "service_account",
        "project_id": "oauthctl-test",
        "private_key_id": "0d5a2c7e9b",
        "private_key": std::fs::read_to_string(dir.join("sa.pem")).unwrap(),
        "client_email": "ci@oauthctl-test.iam.gserviceaccount.com",
        "token_uri": "https://oauth2.googleapis.com/token",
    });
    let file = dir.join("sa.json");
    std::fs::write(&file, google.to_string()).unwrap();
    chmod(&file, 0o600);
    let jwk = public_of(&env, &file, &[]);
    assert_eq!(jwk["kid"], "0d5a2c7e9b");
    assert_eq!(check_jwk(&jwk, "RS256"), openssl_public_key(&dir, "sa.pem"));
    let output = jwk.to_string();
    assert_no_private_part(google["private_key"].as_str().unwrap().as_bytes(), &output);

    // A private JWK with its own kid and alg: both kept, and `d` not printed.
    openssl(
        &dir,
        &["genpkey", "-algorithm", "ED25519", "-out", "ed.pem"],
    );
    let public = public_of(&env, &dir.join("ed.pem"), &[]);
    let pem_text = std::fs::read(dir.join("ed.pem")).unwrap();
    let seed = &private_parts(&pem_text)[0];
    let private = json!({
        "kty": "OKP", "crv": "Ed25519", "x": public["x"], "d": URL_SAFE_NO_PAD.encode(seed),
        "kid": "ed-2024", "alg": "EdDSA",
    });
    let file = dir.join("ed.jwk");
    std::fs::write(&file, private.to_string()).unwrap();
    chmod(&file, 0o600);
    let jwk = public_of(&env, &file, &[]);
    assert_eq!(jwk["kid"], "ed-2024");
    assert_eq!(check_jwk(&jwk, "EdDSA"), check_jwk(&public, "EdDSA"));
    assert!(!jwk.to_string().contains(&URL_SAFE_NO_PAD.encode(seed)));
}

#[test]
fn public_refuses_a_key_file_others_can_read() {
    let env = Env::new();
    let dir = key_dir(&env);
    let file = dir.join("key.pem");
    openssl(
        &dir,
        &[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-out",
            "key.pem",
        ],
    );
    for mode in [0o640, 0o644, 0o604] {
        chmod(&file, mode);
        let assert = env.cmd().args(["keys", "public"]).arg(&file).assert();
        let stderr = fails(assert, 78, "");
        assert_eq!(
            stderr,
            format!(
                "oauthctl: error: refusing private key `{0}`: it is accessible by group or others \
                 (mode {mode:04o}); run `chmod 600 {0}`\n",
                file.display()
            )
        );
    }
    chmod(&file, 0o400);
    public_of(&env, &file, &[]);
}

#[test]
fn public_refuses_encrypted_keys_wrong_algs_and_what_is_no_private_key() {
    let env = Env::new();
    let dir = key_dir(&env);
    let d = dir.as_path();
    openssl(
        d,
        &[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-aes256",
            "-pass",
            "pass:x",
            "-out",
            "enc.pem",
        ],
    );
    openssl(
        d,
        &[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-256",
            "-out",
            "ec.pem",
        ],
    );
    openssl(
        d,
        &["pkey", "-in", "ec.pem", "-pubout", "-out", "ec.pub.pem"],
    );
    openssl(
        d,
        &[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            "ec_paramgen_curve:P-521",
            "-out",
            "p521.pem",
        ],
    );
    let file = |name: &str| {
        let path = dir.join(name);
        chmod(&path, 0o600);
        path
    };
    let run = |args: &[&str], path: &Path| {
        env.cmd()
            .args(args)
            .args(["keys", "public"])
            .arg(path)
            .assert()
    };
    let shown = |name: &str| format!("`{}`", dir.join(name).display());
    fails(
        run(&[], &file("enc.pem")),
        78,
        &format!(
            "private key {} is an encrypted PEM key; oauthctl cannot decrypt it: export it \
             unencrypted, e.g. `openssl pkcs8 -topk8 -nocrypt -in KEY -out KEY.plain`",
            shown("enc.pem")
        ),
    );
    fails(
        run(&[], &file("ec.pub.pem")),
        78,
        &format!(
            "private key {} holds a public key, not a private key",
            shown("ec.pub.pem")
        ),
    );
    fails(
        run(&[], &file("p521.pem")),
        78,
        "EC P-521 (ES512) keys are not supported (P-256 and P-384 are)",
    );
    fails(
        run(&[], &dir.join("missing.pem")),
        78,
        &format!("private key {} does not exist", shown("missing.pem")),
    );
    let ec = file("ec.pem");
    let wrong = env
        .cmd()
        .args(["keys", "public", "--alg", "RS256"])
        .arg(&ec)
        .assert();
    fails(
        wrong,
        78,
        &format!(
            "the key in {} cannot sign with --alg RS256: RS256 does not fit an EC P-256 key (it \
             signs with ES256)",
            shown("ec.pem")
        ),
    );
    let wrong = env
        .cmd()
        .args(["keys", "public", "--alg", "ES384"])
        .arg(&ec)
        .assert();
    fails(wrong, 78, "ES384 does not fit an EC P-256 key");
    // An HMAC algorithm is no key pair's: clap refuses it.
    let hmac = env
        .cmd()
        .args(["keys", "public", "--alg", "HS256"])
        .arg(&ec)
        .assert();
    fails(hmac, 2, "invalid value 'HS256'");
    let header = run(&["-o", "header"], &ec);
    fails(header, 2, "keys supports -o text and -o json");
    // Whatever was refused, nothing of the key shows.
    let pem_text = std::fs::read(&ec).unwrap();
    for args in [&["--alg", "RS256"][..], &["--alg", "ES384"][..]] {
        let assert = env
            .cmd()
            .args(["-v", "keys", "public"])
            .args(args)
            .arg(&ec)
            .assert();
        assert_no_private_part(&pem_text, &(stdout_of(&assert) + &stderr_of(&assert)));
    }
}

/// The check above finds a private part in each encoding it looks for (a check that cannot fail
/// proves nothing).
#[test]
fn the_private_part_check_finds_each_encoding() {
    let env = Env::new();
    let dir = key_dir(&env);
    openssl(
        &dir,
        &[
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
            "rsa.pem",
        ],
    );
    let pem_text = std::fs::read(dir.join("rsa.pem")).unwrap();
    let parts = private_parts(&pem_text);
    assert_eq!(parts.len(), 6);
    let d = &parts[0];
    let hex: String = d[..12].iter().map(|b| format!("{b:02X}")).collect();
    for shown in [
        URL_SAFE_NO_PAD.encode(d),
        STANDARD_NO_PAD.encode(&d[..12]),
        hex,
    ] {
        let found = std::panic::catch_unwind(|| assert_no_private_part(&pem_text, &shown));
        assert!(found.is_err(), "{shown} not found");
    }
}
