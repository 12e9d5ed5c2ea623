//! The ids and type names of Entente's extension definitions and record types: a leaf the other modules import (`ext` re-exports them).

/// The identity that authors Entente's extension definitions.
pub const ENTENTE_IDENTITY: &str = "identity--87ceb383-758b-481b-b6ea-2ed91df80705";
/// Extension definition of the `x-entente-agreement` SDO.
pub const AGREEMENT_EXT: &str = "extension-definition--715764b0-4bc3-4434-8a3b-19fd1b671c88";
/// Extension definition of the `x-entente-ratification` SDO.
pub const RATIFICATION_EXT: &str = "extension-definition--c91316c4-1be7-447e-82bc-bd53b5d672fd";
/// Extension definition of the `x-entente-notice` SDO.
pub const NOTICE_EXT: &str = "extension-definition--35197c01-2525-4b4f-a1b3-738833d4c716";
/// Property extension of `identity`: the partner's Ed25519 public key.
pub const PARTNER_KEY_EXT: &str = "extension-definition--b208856f-a340-4039-a73f-b9b6b2e783c4";
/// Property extension of any object: TLP:RED recipients and the exercise flag.
pub const RELEASE_EXT: &str = "extension-definition--688f5a4e-f584-4d8d-b75b-5ea93dc770be";

/// Type of agreement objects.
pub const AGREEMENT_TYPE: &str = "x-entente-agreement";
/// Type of ratification objects.
pub const RATIFICATION_TYPE: &str = "x-entente-ratification";
/// Type of notice objects.
pub const NOTICE_TYPE: &str = "x-entente-notice";

/// A label that also marks an object as exercise data (besides `exercise: true`
/// in [`RELEASE_EXT`]), for tools that can only set labels.
pub const EXERCISE_LABEL: &str = "x-entente-exercise";
