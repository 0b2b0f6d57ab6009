<?php
/**
 * Router for `php -S` serving Debian's WordPress (/usr/share/wordpress) for one throwaway
 * test site.
 *
 * - Debian's wp-config.php picks /etc/wordpress/config-$WORDPRESS_CONFIG.php; the built-in
 *   server does not pass environment variables into $_SERVER, so this sets it.
 * - The site's wp-content lives outside the document root (as Debian does with an Apache
 *   Alias): /wp-content/* is served from COGVIDEOX_WP_CONTENT_DIR here.
 * - Anything else that is not a file goes to index.php (pretty permalinks, /wp-json/).
 */

$cogvideox_config  = getenv( 'COGVIDEOX_WP_CONFIG' );
$cogvideox_content = getenv( 'COGVIDEOX_WP_CONTENT_DIR' );
$cogvideox_docroot = '/usr/share/wordpress';

$_SERVER['WORDPRESS_CONFIG'] = $cogvideox_config;

$cogvideox_path = rawurldecode( (string) parse_url( $_SERVER['REQUEST_URI'], PHP_URL_PATH ) );

if ( 0 === strpos( $cogvideox_path, '/wp-content/' ) ) {
	$cogvideox_file = realpath( $cogvideox_content . substr( $cogvideox_path, strlen( '/wp-content' ) ) );
	$cogvideox_ok   = false;
	foreach ( array( realpath( $cogvideox_content ), $cogvideox_docroot . '/wp-content' ) as $cogvideox_root ) {
		if ( $cogvideox_file && 0 === strpos( $cogvideox_file, $cogvideox_root . '/' ) ) {
			$cogvideox_ok = true;
		}
	}
	if ( ! $cogvideox_ok || ! is_file( $cogvideox_file ) || preg_match( '/\.php$/i', $cogvideox_file ) ) {
		http_response_code( 404 );
		echo 'Not found';
		return true;
	}
	$cogvideox_types = array(
		'css'   => 'text/css',
		'js'    => 'application/javascript',
		'json'  => 'application/json',
		'mp4'   => 'video/mp4',
		'jpg'   => 'image/jpeg',
		'jpeg'  => 'image/jpeg',
		'png'   => 'image/png',
		'gif'   => 'image/gif',
		'svg'   => 'image/svg+xml',
		'webp'  => 'image/webp',
		'woff'  => 'font/woff',
		'woff2' => 'font/woff2',
		'ttf'   => 'font/ttf',
		'txt'   => 'text/plain',
	);
	$cogvideox_ext  = strtolower( pathinfo( $cogvideox_file, PATHINFO_EXTENSION ) );
	$cogvideox_size = filesize( $cogvideox_file );
	header( 'Content-Type: ' . ( isset( $cogvideox_types[ $cogvideox_ext ] ) ? $cogvideox_types[ $cogvideox_ext ] : 'application/octet-stream' ) );
	header( 'Accept-Ranges: bytes' );
	// Browsers fetch video with Range requests.
	if ( isset( $_SERVER['HTTP_RANGE'] ) && preg_match( '/^bytes=(\d*)-(\d*)$/', $_SERVER['HTTP_RANGE'], $cogvideox_m ) ) {
		$cogvideox_start = '' === $cogvideox_m[1] ? max( 0, $cogvideox_size - (int) $cogvideox_m[2] ) : (int) $cogvideox_m[1];
		$cogvideox_end   = ( '' === $cogvideox_m[1] || '' === $cogvideox_m[2] ) ? $cogvideox_size - 1 : min( (int) $cogvideox_m[2], $cogvideox_size - 1 );
		if ( $cogvideox_start > $cogvideox_end ) {
			http_response_code( 416 );
			header( 'Content-Range: bytes */' . $cogvideox_size );
			return true;
		}
		http_response_code( 206 );
		header( 'Content-Range: bytes ' . $cogvideox_start . '-' . $cogvideox_end . '/' . $cogvideox_size );
		header( 'Content-Length: ' . ( $cogvideox_end - $cogvideox_start + 1 ) );
		$cogvideox_fh = fopen( $cogvideox_file, 'rb' );
		fseek( $cogvideox_fh, $cogvideox_start );
		echo fread( $cogvideox_fh, $cogvideox_end - $cogvideox_start + 1 );
		fclose( $cogvideox_fh );
		return true;
	}
	header( 'Content-Length: ' . $cogvideox_size );
	readfile( $cogvideox_file );
	return true;
}

$cogvideox_target = $cogvideox_docroot . $cogvideox_path;
if ( is_file( $cogvideox_target ) || ( is_dir( $cogvideox_target ) && is_file( rtrim( $cogvideox_target, '/' ) . '/index.php' ) ) ) {
	return false; // The built-in server serves the file or runs the script.
}

// Front controller.
$_SERVER['SCRIPT_NAME']     = '/index.php';
$_SERVER['PHP_SELF']        = '/index.php';
$_SERVER['SCRIPT_FILENAME'] = $cogvideox_docroot . '/index.php';
chdir( $cogvideox_docroot );
require $cogvideox_docroot . '/index.php';
