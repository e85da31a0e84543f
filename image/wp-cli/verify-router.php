<?php
/**
 * The router of verify's own web server (PHP's built-in server, platform-command.php): a file of
 * the docroot is served as it is, every other path goes to WordPress's index.php, as nginx's
 * `try_files $uri $uri/ /index.php?$args` does in a pod.
 */
$path = (string) parse_url( $_SERVER['REQUEST_URI'] ?? '/', PHP_URL_PATH );
if ( '/' !== $path && is_file( $_SERVER['DOCUMENT_ROOT'] . $path ) && ! str_ends_with( $path, '.php' ) ) {
	return false;
}
$_SERVER['SCRIPT_NAME']     = '/index.php';
$_SERVER['SCRIPT_FILENAME'] = $_SERVER['DOCUMENT_ROOT'] . '/index.php';
$_SERVER['PHP_SELF']        = '/index.php';
require $_SERVER['DOCUMENT_ROOT'] . '/index.php';
