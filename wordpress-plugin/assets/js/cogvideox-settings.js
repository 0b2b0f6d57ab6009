/**
 * Settings -> CogVideoX: the "Test connection" button. Calls the plugin's REST route, which
 * asks the service's /api/system/status with the saved URL and token.
 */
( function ( wp ) {
	'use strict';

	var __ = wp.i18n.__;
	var button = document.getElementById( 'cogvideox-test-connection' );
	var spinner = document.getElementById( 'cogvideox-test-spinner' );
	var out = document.getElementById( 'cogvideox-test-result' );
	if ( ! button || ! out ) {
		return;
	}

	function line( label, value ) {
		var p = document.createElement( 'p' );
		var strong = document.createElement( 'strong' );
		strong.textContent = label + ': ';
		p.appendChild( strong );
		p.appendChild( document.createTextNode( value === null || value === undefined || value === '' ? '—' : String( value ) ) );
		return p;
	}

	button.addEventListener( 'click', function () {
		button.disabled = true;
		spinner.classList.add( 'is-active' );
		out.className = 'cogvideox-test-result';
		out.textContent = '';
		wp.apiFetch( { path: '/cogvideox/v1/test-connection', method: 'POST' } )
			.then( function ( status ) {
				out.classList.add( 'notice', 'notice-success', 'inline' );
				out.appendChild( line( __( 'Connected', 'cogvideox' ), __( 'yes', 'cogvideox' ) ) );
				out.appendChild( line( __( 'Model', 'cogvideox' ), status.model ) );
				out.appendChild( line( __( 'Device', 'cogvideox' ), status.device ) );
				out.appendChild( line( __( 'Queue depth', 'cogvideox' ), status.queue_depth ) );
				if ( status.workers !== null && status.workers !== undefined ) {
					out.appendChild( line( __( 'Workers', 'cogvideox' ), status.workers ) );
				}
				if ( status.warning ) {
					out.classList.remove( 'notice-success' );
					out.classList.add( 'notice-warning' );
					out.appendChild( line( __( 'Warning', 'cogvideox' ), status.warning ) );
				}
			} )
			.catch( function ( err ) {
				out.classList.add( 'notice', 'notice-error', 'inline' );
				out.appendChild( line( __( 'Connection failed', 'cogvideox' ), ( err && err.message ) || __( 'Unknown error', 'cogvideox' ) ) );
			} )
			.then( function () {
				button.disabled = false;
				spinner.classList.remove( 'is-active' );
			} );
	} );
	// The button comes disabled from the server: a click before this script ran did nothing.
	button.disabled = false;
} )( window.wp );
