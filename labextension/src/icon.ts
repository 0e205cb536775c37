import { LabIcon } from '@jupyterlab/ui-components';

/** The Runs sidebar's tab icon: three runs as rising bars. */
export const runsIcon = new LabIcon({
  name: 'nbtrack:runs',
  svgstr:
    '<svg xmlns="http://www.w3.org/2000/svg" width="16" viewBox="0 0 24 24">' +
    '<g class="jp-icon3" fill="#616161">' +
    '<rect x="3" y="13" width="4" height="8" rx="1"/>' +
    '<rect x="10" y="8" width="4" height="13" rx="1"/>' +
    '<rect x="17" y="3" width="4" height="18" rx="1"/>' +
    '</g></svg>'
});
