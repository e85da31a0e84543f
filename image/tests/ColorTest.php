<?php
/**
 * wp-config.php's "only its color" and one-host rules (docs/image.md): a pod serves a host only when
 * the site index gives that host the pod's color, and a request line's absolute URI cannot name
 * another host than the Host header.
 */

use PHPUnit\Framework\TestCase;

final class ColorTest extends TestCase {

	public function test_a_pod_serves_only_the_hosts_of_its_color(): void {
		$live    = array( 'site' => 'shop', 'color' => 'green' );
		$preview = array( 'site' => 'shop', 'color' => 'blue', 'preview' => true );
		$this->assertTrue( wp_platform_serves( $live, 'green' ) );
		$this->assertFalse( wp_platform_serves( $live, 'blue' ) );
		$this->assertTrue( wp_platform_serves( $preview, 'blue' ) );
		$this->assertFalse( wp_platform_serves( $preview, 'green' ) );
	}

	public function test_no_color_on_either_side_serves_nothing(): void {
		$this->assertFalse( wp_platform_serves( array( 'site' => 'shop' ), 'blue' ) );
		$this->assertFalse( wp_platform_serves( array( 'site' => 'shop', 'color' => 'blue' ), '' ) );
		$this->assertFalse( wp_platform_serves( array( 'site' => 'shop', 'color' => array( 'blue' ) ), 'blue' ) );
	}

	public function test_the_host_header_must_name_the_host_served(): void {
		$this->assertTrue( wp_platform_host_header_agrees( 'shop.example.com', 'Shop.Example.com.:443' ) );
		$this->assertTrue( wp_platform_host_header_agrees( 'shop.example.com', null ) );
		$this->assertFalse( wp_platform_host_header_agrees( 'shop.example.com', 'other.example.com' ) );
		$this->assertFalse( wp_platform_host_header_agrees( 'shop.example.com', '' ) );
	}
}
