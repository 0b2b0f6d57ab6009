<?php
/**
 * WP-CLI: `wp cogvideox generate|status|import|test-connection`.
 *
 * Registered only when WP-CLI runs (see CogVideoX_Integration). WP-CLI is the server's own
 * shell, so no WordPress capability applies; the service's token and limits still do.
 *
 * @package CogVideoX
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

/**
 * Generate, follow and import CogVideoX videos from the command line.
 */
class CogVideoX_CLI {

	/**
	 * Register the command.
	 */
	public static function register() {
		WP_CLI::add_command( 'cogvideox', __CLASS__ );
	}

	/**
	 * Generate a video for posts.
	 *
	 * ## OPTIONS
	 *
	 * [<post-id>...]
	 * : Posts to generate for.
	 *
	 * [--all-drafts]
	 * : Every draft that has no video and no job running.
	 *
	 * [--prompt=<prompt>]
	 * : The prompt (default: the post's title and excerpt, or the default template).
	 *
	 * [--template=<slug>]
	 * : A template of the service, filled in from the post.
	 *
	 * [--featured-image]
	 * : Animate each post's featured image (its file, PNG, JPEG or WebP) with the service's
	 * image-to-video model; the prompt describes the motion (default: the post's title and
	 * excerpt).
	 *
	 * [--duration=<seconds>]
	 * : Length, within the service's limit.
	 *
	 * [--resolution=<WxH>]
	 * : Delivered size.
	 *
	 * [--draft]
	 * : The faster draft preset instead of full quality.
	 *
	 * [--wait]
	 * : Follow the jobs until they finish and import the videos into the Media Library.
	 *
	 * [--timeout=<seconds>]
	 * : How long --wait waits. Default: 900.
	 *
	 * [--dry-run]
	 * : Only list the posts that would get a job.
	 *
	 * ## EXAMPLES
	 *
	 *     wp cogvideox generate 42 --wait
	 *     wp cogvideox generate --all-drafts --template=news-clip
	 *     wp cogvideox generate 42 --featured-image --prompt="The waves start rolling"
	 *
	 * @param string[] $args  Post ids.
	 * @param array    $assoc Options.
	 */
	public function generate( $args, $assoc ) {
		$this->require_configured();
		if ( ! empty( $assoc['all-drafts'] ) ) {
			$args = array_merge( $args, self::drafts_without_video() );
		}
		$post_ids = array_values( array_unique( array_filter( array_map( 'absint', (array) $args ) ) ) );
		if ( ! $post_ids ) {
			WP_CLI::error( __( 'Name at least one post id, or use --all-drafts.', 'cogvideox' ) );
			return;
		}
		if ( ! empty( $assoc['dry-run'] ) ) {
			foreach ( $post_ids as $post_id ) {
				WP_CLI::log( sprintf( '%d	%s', $post_id, get_the_title( $post_id ) ) );
			}
			/* translators: %d: number of posts */
			WP_CLI::success( sprintf( __( '%d posts would get a video job.', 'cogvideox' ), count( $post_ids ) ) );
			return;
		}
		$input = array();
		foreach ( array( 'prompt', 'template', 'duration', 'resolution' ) as $key ) {
			if ( isset( $assoc[ $key ] ) ) {
				$input[ $key ] = (string) $assoc[ $key ];
			}
		}
		if ( ! empty( $assoc['draft'] ) ) {
			$input['enhance_quality'] = false;
		}
		if ( ! empty( $assoc['featured-image'] ) ) {
			if ( isset( $input['template'] ) ) {
				WP_CLI::error( __( 'Animate the featured image with a prompt, not a template: pick one or the other.', 'cogvideox' ) );
				return;
			}
			if ( null === CogVideoX_Settings::image_model() ) {
				WP_CLI::error( __( 'CogVideoX Studio serves no image-to-video model, so the featured image cannot be animated.', 'cogvideox' ) );
				return;
			}
			$input['featured_image'] = true;
		} elseif ( ! isset( $input['template'] ) && '' !== CogVideoX_Settings::defaults()['template'] && ! isset( $input['prompt'] ) ) {
			$input['template'] = CogVideoX_Settings::defaults()['template'];
		}
		$started = array();
		foreach ( $post_ids as $post_id ) {
			if ( ! get_post( $post_id ) ) {
				/* translators: %d: post id */
				WP_CLI::warning( sprintf( __( 'Post %d does not exist.', 'cogvideox' ), $post_id ) );
				continue;
			}
			$payload = CogVideoX_Jobs::build_payload( $post_id, $input );
			if ( ! is_wp_error( $payload ) ) {
				$payload['metadata']['wp_source'] = 'cli';
				$payload                          = CogVideoX_Jobs::start( $post_id, $payload );
			}
			if ( is_wp_error( $payload ) ) {
				/* translators: 1: post id, 2: error message */
				WP_CLI::warning( sprintf( __( 'Post %1$d: %2$s', 'cogvideox' ), $post_id, $payload->get_error_message() ) );
				continue;
			}
			$started[] = $post_id;
			/* translators: 1: post id, 2: task id */
			WP_CLI::log( sprintf( __( 'Post %1$d: job %2$s queued.', 'cogvideox' ), $post_id, $payload['task_id'] ) );
		}
		if ( ! $started ) {
			WP_CLI::error( __( 'No job was started.', 'cogvideox' ) );
			return;
		}
		if ( empty( $assoc['wait'] ) ) {
			/* translators: %d: number of jobs */
			WP_CLI::success( sprintf( __( '%d jobs started; the videos are imported in the background when they are ready.', 'cogvideox' ), count( $started ) ) );
			return;
		}
		$this->wait_and_import( $started, isset( $assoc['timeout'] ) ? absint( $assoc['timeout'] ) : 900 );
	}

	/**
	 * Show the video job of posts.
	 *
	 * ## OPTIONS
	 *
	 * <post-id>...
	 * : Posts.
	 *
	 * [--refresh]
	 * : Ask the service first.
	 *
	 * @param string[] $args  Post ids.
	 * @param array    $assoc Options.
	 */
	public function status( $args, $assoc ) {
		foreach ( array_map( 'absint', (array) $args ) as $post_id ) {
			$state = ! empty( $assoc['refresh'] ) && CogVideoX_Settings::is_configured() ? CogVideoX_Jobs::sync( $post_id, 'cli' ) : CogVideoX_Jobs::state( $post_id );
			if ( is_wp_error( $state ) ) {
				$state = CogVideoX_Jobs::state( $post_id );
			}
			WP_CLI::log(
				sprintf(
					'%d	%s	%s	%d%%	%s	%s	%s',
					$post_id,
					'' !== $state['task_id'] ? $state['task_id'] : '-',
					'' !== $state['status'] ? $state['status'] : 'none',
					$state['progress'],
					'import:' . $state['import']['state'],
					$state['attachment'] ? $state['attachment']['url'] : '-',
					$state['error']
				)
			);
		}
	}

	/**
	 * Import finished videos now (after a failed background import, for example).
	 *
	 * ## OPTIONS
	 *
	 * <post-id>...
	 * : Posts whose finished video is not in the Media Library yet.
	 *
	 * @param string[] $args  Post ids.
	 * @param array    $assoc Options.
	 */
	public function import( $args, $assoc ) {
		$this->require_configured();
		$failed = 0;
		foreach ( array_map( 'absint', (array) $args ) as $post_id ) {
			CogVideoX_Jobs::sync( $post_id, 'cli' );
			$result = CogVideoX_Background::import_now( $post_id );
			if ( is_wp_error( $result ) || ! $result ) {
				++$failed;
				/* translators: 1: post id, 2: error message */
				WP_CLI::warning( sprintf( __( 'Post %1$d: %2$s', 'cogvideox' ), $post_id, is_wp_error( $result ) ? $result->get_error_message() : __( 'nothing imported', 'cogvideox' ) ) );
				continue;
			}
			/* translators: 1: post id, 2: attachment id */
			WP_CLI::log( sprintf( __( 'Post %1$d: video attachment %2$d.', 'cogvideox' ), $post_id, $result ) );
		}
		if ( $failed ) {
			/* translators: %d: number of posts */
			WP_CLI::error( sprintf( __( '%d posts were not imported.', 'cogvideox' ), $failed ) );
			return;
		}
		WP_CLI::success( __( 'Imported.', 'cogvideox' ) );
	}

	/**
	 * Check the URL and token against the service's system status.
	 *
	 * @subcommand test-connection
	 *
	 * @param string[] $args  Unused.
	 * @param array    $assoc Unused.
	 */
	public function test_connection( $args, $assoc ) {
		$this->require_configured();
		$warning = CogVideoX_Settings::insecure_transport_warning( CogVideoX_Settings::api_url() );
		if ( '' !== $warning ) {
			WP_CLI::warning( $warning );
		}
		$status = CogVideoX_API_Client::from_settings()->system_status();
		if ( is_wp_error( $status ) ) {
			WP_CLI::error( $status->get_error_message() );
			return;
		}
		delete_transient( CogVideoX_API_Client::LIMITS_TRANSIENT );
		$summary = CogVideoX_REST::summarize_system_status( $status );
		$limits  = CogVideoX_Settings::limits();
		WP_CLI::success(
			sprintf(
				/* translators: 1: model, 2: device, 3: queue depth, 4: workers, 5: longest duration */
				__( 'Connected. Model: %1$s, device: %2$s, queue depth: %3$s, workers: %4$s, longest video: %5$d s.', 'cogvideox' ),
				'' !== $summary['model'] ? $summary['model'] : '?',
				'' !== $summary['device'] ? $summary['device'] : '?',
				null === $summary['queue_depth'] ? '?' : (string) $summary['queue_depth'],
				null === $summary['workers'] ? '?' : (string) $summary['workers'],
				(int) $limits['max_duration']
			)
		);
	}

	/**
	 * Follow jobs until they end, importing each finished video here (the CLI is a
	 * background process already).
	 *
	 * @param int[] $post_ids Posts with a started job.
	 * @param int   $timeout  Seconds.
	 */
	private function wait_and_import( array $post_ids, $timeout ) {
		$deadline = time() + max( 1, $timeout );
		$open     = array_combine( $post_ids, $post_ids );
		$failed   = 0;
		while ( $open ) {
			foreach ( $open as $post_id ) {
				$state = CogVideoX_Jobs::sync( $post_id, 'cli' );
				if ( is_wp_error( $state ) ) {
					continue; // The service did not answer this time: ask again.
				}
				if ( 'completed' === $state['status'] ) {
					$result = CogVideoX_Background::import_now( $post_id );
					unset( $open[ $post_id ] );
					if ( is_wp_error( $result ) || ! $result ) {
						++$failed;
						/* translators: 1: post id, 2: error message */
						WP_CLI::warning( sprintf( __( 'Post %1$d: %2$s', 'cogvideox' ), $post_id, is_wp_error( $result ) ? $result->get_error_message() : __( 'nothing imported', 'cogvideox' ) ) );
					} else {
						/* translators: 1: post id, 2: attachment id, 3: URL */
						WP_CLI::log( sprintf( __( 'Post %1$d: imported as attachment %2$d (%3$s).', 'cogvideox' ), $post_id, $result, wp_get_attachment_url( $result ) ) );
					}
				} elseif ( in_array( $state['status'], array( 'failed', 'canceled' ), true ) ) {
					unset( $open[ $post_id ] );
					++$failed;
					/* translators: 1: post id, 2: status, 3: error */
					WP_CLI::warning( sprintf( __( 'Post %1$d: %2$s %3$s', 'cogvideox' ), $post_id, $state['status'], $state['error'] ) );
				}
			}
			if ( ! $open ) {
				break;
			}
			if ( time() >= $deadline ) {
				/* translators: %d: number of jobs */
				WP_CLI::error( sprintf( __( 'Gave up waiting; %d jobs are still running (they are imported in the background when done).', 'cogvideox' ), count( $open ) ) );
				return;
			}
			sleep( 1 );
		}
		if ( $failed ) {
			/* translators: %d: number of posts */
			WP_CLI::error( sprintf( __( '%d posts got no video.', 'cogvideox' ), $failed ) );
			return;
		}
		WP_CLI::success( __( 'Done.', 'cogvideox' ) );
	}

	/**
	 * Drafts with no video and no job running.
	 *
	 * @return int[]
	 */
	private static function drafts_without_video() {
		$ids = get_posts(
			array(
				'post_type'      => CogVideoX_Editor_Blocks::post_types(),
				'post_status'    => 'draft',
				'fields'         => 'ids',
				'posts_per_page' => -1,
				'orderby'        => 'ID',
				'order'          => 'ASC',
			)
		);
		return array_values(
			array_filter(
				array_map( 'intval', $ids ),
				static function ( $id ) {
					return ! CogVideoX_Jobs::is_busy( $id ) && ! CogVideoX_Jobs::attachment_id( $id ) && 'completed' !== get_post_meta( $id, CogVideoX_Jobs::META_STATUS, true );
				}
			)
		);
	}

	/**
	 * Stop unless URL and token are set.
	 */
	private function require_configured() {
		if ( ! CogVideoX_Settings::is_configured() ) {
			WP_CLI::error( __( 'Set the API URL and token first (Settings -> CogVideoX, or COGVIDEOX_API_URL / COGVIDEOX_API_TOKEN in wp-config.php).', 'cogvideox' ) );
		}
	}
}
