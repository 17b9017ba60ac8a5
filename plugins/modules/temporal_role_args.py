#!/usr/bin/python
# -*- coding: utf-8 -*-
# Copyright: mtls.temporal contributors
# GNU General Public License v3.0+ (see COPYING or https://www.gnu.org/licenses/gpl-3.0.txt)

from __future__ import annotations

DOCUMENTATION = r"""
---
module: temporal_role_args
short_description: Validate a role's variables against its argument spec, with a small result per host
version_added: 0.1.0
description:
  - Checks the variables a role's entry point describes in C(meta/argument_specs.yml), as this host sees them, the
    way M(ansible.builtin.validate_argument_spec) does when ansible-core runs it before a role's tasks.
  - Stricter in one way, so that a bad value fails before the role changes anything. A list or dict given to a
    C(str) or C(path) option (or as an element of a list of them) is refused, where ansible-core would pass on its text.
  - Reads the spec from the role's directory on the controller instead of taking it as a task argument. Every
    host's task result carries the task's arguments back to the controller, where the results of all hosts are
    held until the task is done; with the spec as an argument (and ansible-core 2.19's origin tags) that is about
    100 KiB per host for a fleet role. Here it is the role's path.
  - The fleet roles of this collection run it as their first task, once for the play's hosts (O(hosts) with
    C(run_once)); the collection's playbooks import them with C(rolespec_validate=false), so each host is validated once.
  - This is an action plugin; it runs on the controller and needs no connection to the host.
author:
  - mtls.temporal developers (!UNKNOWN)
extends_documentation_fragment:
  - action_common_attributes
  - action_common_attributes.conn
  - action_common_attributes.flow
attributes:
  action:
    support: full
  async:
    support: none
  become:
    support: none
  bypass_host_loop:
    support: none
  check_mode:
    support: full
  connection:
    support: none
  delegation:
    support: none
  diff_mode:
    support: none
  platform:
    platforms: all
options:
  role_path:
    description: The role's directory (C(role_path) inside the role); its C(meta/argument_specs.yml) is read.
    type: path
    required: true
  entry_point:
    description: The entry point of the spec to validate against.
    type: str
    default: main
  hosts:
    description:
      - Also check the variables of these hosts, as their C(hostvars) have them (inventory, facts, extra vars), so that
        one run with C(run_once) validates a whole play instead of one task per host. Errors of another host start
        with its name.
      - Play, role and task variables are set alike for every host; they are checked once, as the host the task runs on
        sees them.
      - With O(hosts), the role is taken to handle the play's hosts together in C(run_once) tasks, so a play whose strategy
        runs those once per host (C(free), C(host_pinned), or a strategy built on C(free)) is refused before anything is
        written.
    type: list
    elements: str
seealso:
  - module: ansible.builtin.validate_argument_spec
"""

EXAMPLES = r"""
---
- name: Validate this role's variables (first task of tasks/main.yml)
  mtls.temporal.temporal_role_args:
    role_path: "{{ role_path }}"
  tags: [always]

- name: The same for every host of the play, in one run
  mtls.temporal.temporal_role_args:
    role_path: "{{ role_path }}"
    hosts: "{{ ansible_play_batch }}"
  run_once: true
  tags: [always]
"""

RETURN = r"""
argument_errors:
  description: The validation errors.
  returned: failure
  type: list
  elements: str
  sample: ["value of node_certs_key_placement must be one of: controller, node, got: nodes"]
validate_args_context:
  description: What was validated.
  returned: always
  type: dict
  sample: {type: role, name: node_certs, argument_spec_name: main, path: /srv/collections/ansible_collections/mtls/temporal/roles/node_certs}
"""
