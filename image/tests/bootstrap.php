<?php
// The image's PHP without WordPress, WP-CLI or a database: wp-cli/lib.php as it is, and of
// wordpress/wp-config.php only its declarations (consts, functions, the error class), since its
// top-level code resolves a site and loads WordPress.
error_reporting( E_ALL );
require __DIR__ . '/../wp-cli/lib.php';

/** The top-level `const`, named `function` and `class` statements of a PHP file, as source. */
function wp_platform_test_declarations( string $file ): string {
	$tokens = token_get_all( file_get_contents( $file ) );
	$text   = fn( $t ) => is_array( $t ) ? $t[1] : $t;
	$opens  = fn( $t ) => '{' === $t || ( is_array( $t ) && in_array( $t[0], array( T_CURLY_OPEN, T_DOLLAR_OPEN_CURLY_BRACES ), true ) );
	$out    = '';
	$depth  = 0;
	$count  = count( $tokens );
	for ( $i = 0; $i < $count; $i++ ) {
		$t = $tokens[ $i ];
		if ( $opens( $t ) ) {
			++$depth;
			continue;
		}
		if ( '}' === $t ) {
			--$depth;
			continue;
		}
		if ( 0 !== $depth || ! is_array( $t ) || ! in_array( $t[0], array( T_CONST, T_FUNCTION, T_CLASS ), true ) ) {
			continue;
		}
		// A named function only: the next non-space token is its name (a closure has "(").
		$j = $i + 1;
		while ( is_array( $tokens[ $j ] ) && T_WHITESPACE === $tokens[ $j ][0] ) {
			++$j;
		}
		if ( T_FUNCTION === $t[0] && ! ( is_array( $tokens[ $j ] ) && T_STRING === $tokens[ $j ][0] ) ) {
			continue;
		}
		// From the keyword to the end of its statement: `;` (const) or its closing brace.
		$inner = 0;
		$code  = '';
		for ( ; $i < $count; $i++ ) {
			$code .= $text( $tokens[ $i ] );
			if ( $opens( $tokens[ $i ] ) ) {
				++$inner;
			} elseif ( '}' === $tokens[ $i ] && 0 === --$inner ) {
				break;
			} elseif ( ';' === $tokens[ $i ] && 0 === $inner && T_CONST === $t[0] ) {
				break;
			}
		}
		$out .= $code . "\n";
	}
	return $out;
}

eval( wp_platform_test_declarations( __DIR__ . '/../wordpress/wp-config.php' ) );
