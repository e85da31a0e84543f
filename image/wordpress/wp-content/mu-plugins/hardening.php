<?php
/**
 * Plugin Name: wp-platform hardening
 * Description: What a visitor of any site of the fleet must not learn or cause (docs/image.md,
 * "Hardening"): no user enumeration (REST users, ?author=, login and lost-password messages, the
 * users sitemap), no core version (generator, ver= on assets), no XML-RPC, SameSite=Lax cookies.
 * The security headers and the refusal of load-scripts.php / load-styles.php are nginx's
 * (nginx.conf.template), so they hold for static files and error pages too.
 *
 * A must-use plugin: shipped in the image, loaded by every site, never switched off from wp-admin.
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

// No concatenated scripts or styles: wp-admin asks for each file, and load-scripts.php /
// load-styles.php (which nginx refuses) are never needed.
if ( ! defined( 'CONCATENATE_SCRIPTS' ) ) {
	define( 'CONCATENATE_SCRIPTS', false );
}

/** The one message of a failed login, whatever failed: the user name, the email or the password. */
const WP_PLATFORM_LOGIN_FAILED = '<strong>Error:</strong> The user name, email address or password is not correct.';

/**
 * REST: the users routes answer 401 to anyone who cannot list users or edit posts (authors need
 * the author list in the editor); /wp/v2/users/me stays for any logged-in user. Checked at
 * dispatch, when the request's user is known, for /wp-json/ and ?rest_route= alike.
 */
function wp_platform_hardening_rest_users( $result, $server, $request ) {
	$route = untrailingslashit( (string) $request->get_route() );
	if ( ! preg_match( '#^/wp/v2/users(?:/|$)#', $route ) ) {
		return $result;
	}
	if ( current_user_can( 'list_users' ) || current_user_can( 'edit_posts' ) ) {
		return $result;
	}
	if ( '/wp/v2/users/me' === $route && is_user_logged_in() ) {
		return $result;
	}
	return new WP_Error( 'rest_forbidden', 'Sorry, you are not allowed to do that.', array( 'status' => 401 ) );
}
add_filter( 'rest_pre_dispatch', 'wp_platform_hardening_rest_users', 10, 3 );

/** ?author=<n> (which redirect_canonical turns into /author/<slug>/) is a 404 for a visitor. */
function wp_platform_hardening_author_query(): void {
	if ( isset( $_GET['author'] ) && ! is_user_logged_in() ) {
		global $wp_query;
		$wp_query->set_404();
		status_header( 404 );
		nocache_headers();
	}
}
add_action( 'template_redirect', 'wp_platform_hardening_author_query', 0 );
// And redirect_canonical must not send it to the slug before the 404 is rendered.
add_filter(
	'redirect_canonical',
	function ( $redirect ) {
		return ( isset( $_GET['author'] ) && ! is_user_logged_in() ) ? false : $redirect;
	}
);

// No users sitemap (wp-sitemap-users-1.xml lists every author's slug).
add_filter(
	'wp_sitemaps_add_provider',
	function ( $provider, $name ) {
		return 'users' === $name ? false : $provider;
	},
	10,
	2
);

/**
 * A failed login says the same for an unknown user, an unknown email and a wrong password (and, with
 * one error code, the form does not keep the user name for one of them only).
 */
function wp_platform_hardening_login_failed( $user ) {
	if ( is_wp_error( $user ) && array_intersect( $user->get_error_codes(), array( 'invalid_username', 'invalid_email', 'incorrect_password' ) ) ) {
		return new WP_Error( 'wp_platform_login_failed', WP_PLATFORM_LOGIN_FAILED );
	}
	return $user;
}
add_filter( 'authenticate', 'wp_platform_hardening_login_failed', 100 );

/**
 * Lost password: every request with a user name or email ends as a successful one does (the
 * "check your email" page), whether the account exists, and whether its email could be sent.
 */
function wp_platform_hardening_lost_password( $errors ): void {
	if ( 'POST' !== ( $_SERVER['REQUEST_METHOD'] ?? '' ) || ! is_wp_error( $errors ) ) {
		return;
	}
	$codes = $errors->get_error_codes();
	if ( array_intersect( $codes, array( 'invalid_email', 'invalidcombo', 'retrieve_password_email_failure' ) ) ) {
		wp_safe_redirect( 'wp-login.php?checkemail=confirm' );
		exit;
	}
}
add_action( 'lost_password', 'wp_platform_hardening_lost_password' );

// No version: no generator tag (pages, feeds), no ver=<core version> on scripts and styles. The
// version becomes an opaque token of the version and the site's salt, so a new core still gets
// new asset URLs.
remove_action( 'wp_head', 'wp_generator' );
add_filter( 'the_generator', '__return_empty_string' );
function wp_platform_hardening_asset_version( $src ) {
	global $wp_version;
	if ( ! is_string( $src ) || false === strpos( $src, 'ver=' ) ) {
		return $src;
	}
	$token = substr( hash_hmac( 'sha256', (string) $wp_version, defined( 'NONCE_SALT' ) ? NONCE_SALT : '' ), 0, 10 );
	return preg_replace( '/([?&](?:#038;|amp;)?ver=)' . preg_quote( (string) $wp_version, '/' ) . '(?=&|#|$)/', '${1}' . $token, $src );
}
add_filter( 'script_loader_src', 'wp_platform_hardening_asset_version', 100 );
add_filter( 'style_loader_src', 'wp_platform_hardening_asset_version', 100 );

// No XML-RPC (nginx never serves xmlrpc.php; nothing advertises it either).
add_filter( 'xmlrpc_enabled', '__return_false' );
add_filter(
	'wp_headers',
	function ( $headers ) {
		unset( $headers['X-Pingback'] );
		return $headers;
	}
);
remove_action( 'wp_head', 'rsd_link' );
remove_action( 'wp_head', 'wlwmanifest_link' );

/**
 * SameSite=Lax on every cookie WordPress sets without a SameSite (the auth cookies, set by
 * setcookie() without one, among them): rewritten just before the headers go out.
 */
function wp_platform_hardening_samesite(): void {
	$cookies = array();
	foreach ( headers_list() as $header ) {
		if ( 0 === stripos( $header, 'Set-Cookie:' ) ) {
			$cookies[] = trim( substr( $header, strlen( 'Set-Cookie:' ) ) );
		}
	}
	if ( ! $cookies ) {
		return;
	}
	header_remove( 'Set-Cookie' );
	foreach ( $cookies as $cookie ) {
		if ( ! preg_match( '/;\s*samesite=/i', $cookie ) ) {
			$cookie .= '; SameSite=Lax';
		}
		header( "Set-Cookie: $cookie", false );
	}
}
if ( 'cli' !== PHP_SAPI ) {
	header_register_callback( 'wp_platform_hardening_samesite' );
}
