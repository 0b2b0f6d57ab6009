<?php
/**
 * Plugin Name:       CogVideoX Studio
 * Plugin URI:        https://github.com/cogvideox-studio/cogvideox-studio
 * Description:       Generate short videos for your posts with a self-hosted CogVideoX Studio service and import them into the Media Library.
 * Version:           1.0.0
 * Requires at least: 6.1
 * Requires PHP:      7.4
 * Author:            CogVideoX Studio
 * License:           GPL-2.0-or-later
 * License URI:       https://www.gnu.org/licenses/gpl-2.0.html
 * Text Domain:       cogvideox
 * Domain Path:       /languages
 *
 * @package CogVideoX
 */

if ( ! defined( 'ABSPATH' ) ) {
	exit;
}

define( 'COGVIDEOX_VERSION', '1.0.0' );
define( 'COGVIDEOX_PLUGIN_FILE', __FILE__ );
define( 'COGVIDEOX_PLUGIN_DIR', plugin_dir_path( __FILE__ ) );

require_once COGVIDEOX_PLUGIN_DIR . 'includes/class-cogvideox-settings.php';
require_once COGVIDEOX_PLUGIN_DIR . 'includes/class-cogvideox-api-client.php';
require_once COGVIDEOX_PLUGIN_DIR . 'includes/class-cogvideox-jobs.php';
require_once COGVIDEOX_PLUGIN_DIR . 'includes/class-cogvideox-importer.php';
require_once COGVIDEOX_PLUGIN_DIR . 'includes/class-cogvideox-webhook.php';
require_once COGVIDEOX_PLUGIN_DIR . 'includes/class-cogvideox-rest.php';
require_once COGVIDEOX_PLUGIN_DIR . 'includes/class-cogvideox-cron.php';
require_once COGVIDEOX_PLUGIN_DIR . 'includes/class-cogvideox-background.php';
require_once COGVIDEOX_PLUGIN_DIR . 'includes/class-cogvideox-editor-blocks.php';
require_once COGVIDEOX_PLUGIN_DIR . 'includes/class-cogvideox-posts-list.php';
require_once COGVIDEOX_PLUGIN_DIR . 'includes/class-cogvideox-cli.php';
require_once COGVIDEOX_PLUGIN_DIR . 'includes/class-cogvideox-integration.php';

/**
 * The plugin's single instance (kept reachable for themes, tests and WP-CLI).
 *
 * @return CogVideoX_Integration
 */
function cogvideox() {
	static $instance = null;
	if ( null === $instance ) {
		$instance = new CogVideoX_Integration();
	}
	return $instance;
}

add_action(
	'plugins_loaded',
	static function () {
		load_plugin_textdomain( 'cogvideox', false, dirname( plugin_basename( COGVIDEOX_PLUGIN_FILE ) ) . '/languages' );
	}
);

cogvideox();

register_activation_hook( __FILE__, array( 'CogVideoX_Cron', 'activate' ) );
register_deactivation_hook( __FILE__, array( 'CogVideoX_Cron', 'deactivate' ) );
