use super::*;
use std::os::unix::fs::PermissionsExt;

fn mode(path: &Path) -> u32 {
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

#[test]
fn modes_are_kept_or_forced() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sub/f");
    write_atomically(&path, b"one", Mode::KeepOr(0o600)).unwrap();
    assert_eq!((mode(&path), mode(path.parent().unwrap())), (0o600, 0o700));
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o640)).unwrap();
    write_atomically(&path, b"two", Mode::KeepOr(0o600)).unwrap();
    assert_eq!(mode(&path), 0o640);
    write_atomically(&path, b"three", Mode::Exactly(0o600)).unwrap();
    assert_eq!(mode(&path), 0o600);
    assert_eq!(std::fs::read(&path).unwrap(), b"three");
    let leftovers: Vec<_> = std::fs::read_dir(path.parent().unwrap()).unwrap().collect();
    assert_eq!(leftovers.len(), 1, "no temp file is left behind");
}

#[test]
fn capped_reads_of_regular_files_only() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("f");
    std::fs::write(&path, vec![b'a'; 2048]).unwrap();
    assert_eq!(read_capped(&path, 2048).unwrap().len(), 2048);
    assert!(read_capped(&path, 2047).is_err());
    let fifo = dir.path().join("fifo");
    let c = std::ffi::CString::new(fifo.as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a valid path string.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    // No writer: a blocking open would wait forever.
    let err = read_capped(&fifo, 10).unwrap_err().to_string();
    assert_eq!(err, "it is a FIFO, not a regular file");
    let err = read_capped(Path::new("/dev/zero"), 10)
        .unwrap_err()
        .to_string();
    assert_eq!(err, "it is a device, not a regular file");
    let err = read_capped(dir.path(), 10).unwrap_err().to_string();
    assert!(err.contains("directory"), "{err}");
}

#[test]
fn temp_names_are_recognised_whatever_the_writer() {
    assert!(is_temp_of(".k.json.123.tmp", "k.json"));
    assert!(is_temp_of(&temp_name("k.json"), "k.json"));
    assert!(!is_temp_of(".k.json.123.tmp", "j.json"));
    assert!(!is_temp_of("k.json", "k.json"));
    assert!(!is_temp_of(".k.jsonx.tmp", "k.json"));
}

fn private(path: &Path) -> Dir {
    Dir::open_private(path).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn a_private_dir_is_created_0700_with_its_parents_and_its_files_0600() {
    let base = tempfile::tempdir().unwrap();
    let path = base.path().join("a/b/cache");
    let dir = private(&path);
    dir.write_atomically("f", b"x").unwrap();
    assert_eq!(mode(&path), 0o700);
    assert_eq!(mode(&base.path().join("a")), 0o700);
    assert_eq!(mode(&path.join("f")), 0o600);
    assert_eq!(dir.read("f", 10).unwrap(), b"x");
    assert_eq!(dir.names().unwrap(), ["f"]);
    assert_eq!(dir.path(), std::fs::canonicalize(&path).unwrap());
}

#[test]
fn ancestors_writable_by_others_are_untrusted_unless_sticky() {
    let base = tempfile::tempdir().unwrap();
    let open = base.path().join("open");
    std::fs::create_dir(&open).unwrap();
    std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o777)).unwrap();
    let err = Dir::open_private(&open.join("cache")).unwrap_err();
    assert_eq!(err.dir, open);
    assert!(err.why.contains("without the sticky bit"), "{err}");
    std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o1777)).unwrap();
    private(&open.join("cache"));
    // Group-writable is as bad.
    std::fs::set_permissions(&open, std::fs::Permissions::from_mode(0o770)).unwrap();
    assert!(Dir::open_private(&open.join("cache")).is_err());
}

#[test]
fn the_dir_itself_must_be_private_and_no_link_while_links_above_it_are_resolved() {
    let base = tempfile::tempdir().unwrap();
    let real = base.path().join("real");
    std::fs::create_dir(&real).unwrap();
    std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o757)).unwrap();
    let err = Dir::open_private(&real).unwrap_err();
    assert!(err.why.contains("writable by group or others"), "{err}");
    std::fs::set_permissions(&real, std::fs::Permissions::from_mode(0o755)).unwrap();
    let link = base.path().join("link");
    std::os::unix::fs::symlink(&real, &link).unwrap();
    let err = Dir::open_private(&link).unwrap_err();
    assert_eq!(
        (err.dir.as_path(), err.why.as_str()),
        (link.as_path(), "is a symbolic link")
    );
    // A link above the directory is followed, and what it leads to is checked.
    let dir = private(&link.join("cache"));
    assert_eq!(
        dir.path(),
        std::fs::canonicalize(&real).unwrap().join("cache")
    );
    private(&real);
    assert_eq!(mode(&real), 0o700, "a readable directory is made private");
}

#[test]
fn the_handle_survives_a_swap_of_its_path() {
    let base = tempfile::tempdir().unwrap();
    let path = base.path().join("cache");
    let dir = private(&path);
    dir.write_atomically("entry", b"mine").unwrap();
    // Someone renames the directory away and plants another in its place.
    std::fs::rename(&path, base.path().join("moved")).unwrap();
    std::fs::create_dir(&path).unwrap();
    std::fs::write(path.join("entry"), b"planted").unwrap();
    assert_eq!(dir.read("entry", 100).unwrap(), b"mine");
    dir.write_atomically("second", b"2").unwrap();
    assert!(!path.join("second").exists());
    assert!(base.path().join("moved/second").exists());
}

#[test]
fn links_fifos_and_files_others_may_write_are_refused() {
    let base = tempfile::tempdir().unwrap();
    let dir = private(&base.path().join("c"));
    let path = dir.path().to_path_buf();
    std::fs::write(base.path().join("elsewhere"), b"planted").unwrap();
    std::os::unix::fs::symlink(base.path().join("elsewhere"), path.join("link")).unwrap();
    assert!(
        matches!(dir.read("link", 100), Err(Refused::Unsafe(w)) if w.contains("symbolic link"))
    );
    let c = std::ffi::CString::new(path.join("fifo").as_os_str().as_encoded_bytes()).unwrap();
    // SAFETY: a valid path string.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o600) }, 0);
    assert!(matches!(dir.read("fifo", 100), Err(Refused::Unsafe(w)) if w.contains("FIFO")));
    assert!(matches!(dir.open_lock("fifo"), Err(Refused::Unsafe(_))));
    std::fs::write(path.join("open"), b"x").unwrap();
    std::fs::set_permissions(path.join("open"), std::fs::Permissions::from_mode(0o666)).unwrap();
    assert!(matches!(dir.read("open", 100), Err(Refused::Unsafe(w)) if w.contains("writable")));
    std::fs::write(path.join("readable"), b"x").unwrap();
    std::fs::set_permissions(
        path.join("readable"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    assert_eq!(dir.read("readable", 100).unwrap(), b"x");
    assert_eq!(mode(&path.join("readable")), 0o600);
    assert!(matches!(dir.read("missing", 100), Err(Refused::Missing)));
}

#[test]
fn create_new_never_replaces_and_leaves_no_temp_file() {
    let base = tempfile::tempdir().unwrap();
    let dir = private(&base.path().join("c"));
    assert!(dir.create_new("key", b"first").unwrap());
    assert!(!dir.create_new("key", b"second").unwrap());
    assert_eq!(dir.read("key", 100).unwrap(), b"first");
    assert_eq!(dir.names().unwrap(), ["key"]);
    assert!(dir.remove("key").unwrap());
    assert!(!dir.remove("key").unwrap());
}

#[test]
fn a_private_read_refuses_files_others_can_read_before_reading_them() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("key.pem");
    std::fs::write(&path, b"key").unwrap();
    for mode in [0o600, 0o400] {
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        assert_eq!(read_private(&path, 16).unwrap(), b"key");
    }
    for mode in [0o640, 0o604, 0o660, 0o610] {
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        match read_private(&path, 16) {
            Err(Refused::Unsafe(why)) => assert_eq!(
                why,
                format!(
                    "it is accessible by group or others (mode {mode:04o}); run `chmod 600 {}`",
                    path.display()
                )
            ),
            other => panic!("mode {mode:o}: {other:?}"),
        }
    }
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
    assert!(matches!(read_private(&path, 2), Err(Refused::Io(_))));
    let missing = dir.path().join("missing.pem");
    assert!(matches!(read_private(&missing, 16), Err(Refused::Missing)));
    assert!(matches!(read_private(dir.path(), 16), Err(Refused::Io(_))));
}

#[test]
fn a_new_file_is_private_from_the_start_and_never_replaces_one() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("sub/key.pem");
    create_new(&path, b"first", 0o600).unwrap();
    assert_eq!((mode(&path), mode(path.parent().unwrap())), (0o600, 0o700));
    let again = create_new(&path, b"second", 0o600).unwrap_err();
    assert_eq!(again.kind(), std::io::ErrorKind::AlreadyExists);
    assert_eq!(std::fs::read(&path).unwrap(), b"first");
    // A link to elsewhere is not followed, and not replaced.
    let target = dir.path().join("target");
    let link = dir.path().join("link.pem");
    std::os::unix::fs::symlink(&target, &link).unwrap();
    let linked = create_new(&link, b"third", 0o600).unwrap_err();
    assert_eq!(linked.kind(), std::io::ErrorKind::AlreadyExists);
    assert!(!target.exists());
    let names: Vec<_> = std::fs::read_dir(path.parent().unwrap())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["key.pem"], "no temp file is left behind");
}
