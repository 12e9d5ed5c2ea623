//! Who may read `/metrics`.

use super::MetricsAccess;

#[test]
fn loopback_admits_the_nodes_own_machine_only_and_token_admits_no_address() {
    let ip = |s: &str| Some(s.parse().unwrap());
    let loopback = MetricsAccess::Loopback;
    for own in ["127.0.0.1", "127.0.0.2", "::1", "::ffff:127.0.0.1"] {
        assert!(loopback.admits_address(ip(own)), "{own}");
        assert!(!MetricsAccess::Token.admits_address(ip(own)), "{own}: token needs a token");
    }
    for other in ["10.0.0.1", "192.0.2.7", "::ffff:10.0.0.1", "2001:db8::1", "0.0.0.0"] {
        assert!(!loopback.admits_address(ip(other)), "{other}");
    }
    assert!(!loopback.admits_address(None), "an unknown address is not the node's machine");
    assert_eq!("token".parse(), Ok(MetricsAccess::Token));
    assert!("open".parse::<MetricsAccess>().is_err());
}
