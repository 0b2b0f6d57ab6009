<?php
/**
 * Sites the service cannot reach: no webhook secret, so no callback; WP-Cron's poll imports.
 */
class CronPollingTest extends CogVideoXTestCase {

	public function test_cron_poll_imports_a_finished_video_exactly_once() {
		$this->configure( self::api_url(), self::api_token(), '' );
		$post = $this->new_post( 'author1', array( 'post_title' => 'Cron polled clip' ) );

		$task = cogvideox()->generate_video_for_post( $post, 'A slow pan across a desert', self::tiny() );
		$this->assertIsString( $task );
		$params = json_decode( $this->fresh_meta( $post, '_cogvideox_params' ), true );
		$this->assertArrayNotHasKey( 'callback_url', $params, 'no webhook without a secret' );
		$this->assertTrue( (bool) wp_next_scheduled( CogVideoX_Cron::HOOK ), 'the poll is scheduled' );
		$this->assertContains( $post, CogVideoX_Cron::posts_to_poll() );

		$this->wait_for_service_status( $task, array( 'completed' ) );
		$this->assertSame( 0, (int) $this->fresh_meta( $post, '_cogvideox_attachment_id' ), 'nothing imported before cron runs' );

		// What WP-Cron runs when the event is due.
		do_action( CogVideoX_Cron::HOOK );
		$video = $this->assertImported( $post, $task, 'cron' );
		$this->assertNotContains( $post, CogVideoX_Cron::posts_to_poll(), 'done posts are not polled again' );

		do_action( CogVideoX_Cron::HOOK );
		$this->assertSame( array( $video ), $this->attachments_for_task( $task ) );
	}

	public function test_concurrent_imports_take_turns() {
		// Another request holds the import lock: this one backs off instead of importing twice.
		$post = $this->new_post( 'author1' );
		$task = 'lock-' . wp_generate_uuid4();
		update_post_meta( $post, '_cogvideox_task_id', $task );
		$lock = CogVideoX_Importer::LOCK_PREFIX . md5( $task );
		$this->assertTrue( CogVideoX_Importer::acquire_lock( $lock ) );
		$this->assertFalse( CogVideoX_Importer::acquire_lock( $lock ), 'the lock is exclusive' );
		$this->assertSame( 0, CogVideoX_Importer::import( $post, $task, 'video-id', 'cron' ) );
		CogVideoX_Importer::release_lock( $lock );
		$this->assertTrue( CogVideoX_Importer::acquire_lock( $lock ) );
		CogVideoX_Importer::release_lock( $lock );
	}

	public function test_failed_job_is_reported_and_no_longer_polled() {
		$post = $this->new_post( 'author1' );
		update_post_meta( $post, '_cogvideox_task_id', 't-failed' );
		update_post_meta( $post, '_cogvideox_status', 'processing' );
		$state = CogVideoX_Jobs::apply_status( $post, array( 'task_id' => 't-failed', 'status' => 'failed', 'error' => 'Out of memory' ), 'cron' );
		$this->assertSame( 'failed', $state['status'] );
		$this->assertSame( 'Out of memory', $state['error'] );
		$this->assertNotContains( $post, CogVideoX_Cron::posts_to_poll() );
	}
}
