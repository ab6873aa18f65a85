import './base.css';
import './history.css';
import './compare.css';
import './problems.css';
