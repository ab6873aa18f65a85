/** The Training panel's icon. */
import { LabIcon } from '@jupyterlab/ui-components';

import trainingSvg from '../style/icons/training.svg';

export const trainingIcon = new LabIcon({
  name: 'tflog:training',
  svgstr: trainingSvg
});
