<?php
// flush-caches' invalidation of the site's CloudFront tenant (wp-cli/lib.php), against the AWS
// SDK's own client with a mock handler: the request the SDK would sign and send, no network.
use Aws\CloudFront\CloudFrontClient;
use Aws\CommandInterface;
use Aws\MockHandler;
use Aws\Result;
use PHPUnit\Framework\TestCase;

require_once __DIR__ . '/../vendor/autoload.php';

final class EdgeInvalidationTest extends TestCase {
	public function test_invalidates_every_path_of_the_one_tenant_with_a_fresh_reference(): void {
		$sent = array();
		$mock = new MockHandler();
		$mock->append(
			function ( CommandInterface $command ) use ( &$sent ) {
				$sent[] = array( $command->getName(), $command->toArray() );
				return new Result( array( 'Invalidation' => array( 'Id' => 'I2J0I21PCUYOIK', 'Status' => 'InProgress' ) ) );
			}
		);
		$client = new CloudFrontClient(
			array(
				'version'     => '2020-05-31',
				'region'      => 'us-east-1',
				'handler'     => $mock,
				'credentials' => array( 'key' => 'AKIDEXAMPLE', 'secret' => 'secret' ),
			)
		);
		$done = wp_platform_invalidate_tenant( $client, 'dt_2AbCdEfGh', 'shop', 1764820000 );
		$this->assertSame( array( 'id' => 'I2J0I21PCUYOIK', 'status' => 'InProgress' ), $done );
		$this->assertCount( 1, $sent );
		[ $name, $params ] = $sent[0];
		$this->assertSame( 'CreateInvalidationForDistributionTenant', $name );
		$this->assertSame( 'dt_2AbCdEfGh', $params['Id'] );
		$this->assertSame( array( 'Quantity' => 1, 'Items' => array( '/*' ) ), $params['InvalidationBatch']['Paths'] );
		$this->assertMatchesRegularExpression( '/^wp-platform-shop-1764820000-[0-9a-f]{8}$/', $params['InvalidationBatch']['CallerReference'] );
	}

	public function test_two_flushes_in_one_second_get_two_references(): void {
		$references = array();
		$client     = new class( $references ) {
			/** @var array<string> */
			private $references;
			public function __construct( array &$references ) {
				$this->references = &$references;
			}
			public function createInvalidationForDistributionTenant( array $args ): array {
				$this->references[] = $args['InvalidationBatch']['CallerReference'];
				return array( 'Invalidation' => array( 'Id' => 'X', 'Status' => 'InProgress' ) );
			}
		};
		wp_platform_invalidate_tenant( $client, 'dt_1', 'shop', 1 );
		wp_platform_invalidate_tenant( $client, 'dt_1', 'shop', 1 );
		$this->assertCount( 2, array_unique( $references ) );
	}
}
