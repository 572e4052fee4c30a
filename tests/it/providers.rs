//! Issue 3: strict stubs of the five documented providers (see ../shared/seeds/).
